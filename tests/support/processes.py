"""Run a platform process (`python -m services.x`) as a real subprocess with its own log."""

import os
import sys
from pathlib import Path

from tests.support.servers import ServerProcess


def service_process(module: str, log_path: Path, env: dict[str, str]) -> ServerProcess:
    full_env = {**os.environ, "LOG_FORMAT": "json", **env}
    return ServerProcess([sys.executable, "-m", module], log_path, env=full_env)
