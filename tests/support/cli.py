"""The `inferlane` command run as a user runs it: a subprocess with its own config dir."""

import os
import subprocess
import sys
from pathlib import Path

_SCRIPT = Path(sys.executable).with_name("inferlane")
COMMAND = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "inferlane.cli"]


def run(
    config_dir: Path, url: str, *args: str, input: str | None = None, columns: int = 200
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("INFERLANE_")}
    env |= {"INFERLANE_CONFIG_DIR": str(config_dir), "INFERLANE_URL": url, "COLUMNS": str(columns)}
    return subprocess.run(
        [*COMMAND, *args], env=env, input=input, capture_output=True, text=True, timeout=180
    )
