"""The whole platform as a user meets it: `python -m tools.devstack` on free ports.

It gets its own database and its own NATS server, so its worker never competes with other
tests for work messages; Triton is the session's (it keeps no state per client).
"""

import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg
from psycopg import sql

from tests.support.servers import Nats
from tests.support.waiting import free_port, wait_until

SERVICES = ("auth", "datasets", "tasks", "inference")


@dataclass(frozen=True)
class Platform:
    url: str  # the gateway, e.g. http://127.0.0.1:51234
    log: Path

    def tail(self, chars: int = 4000) -> str:
        return self.log.read_text(errors="replace")[-chars:]


def _fresh_database(server_url: str) -> str:
    name = f"e2e_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return server_url.rsplit("/", 1)[0] + "/" + name


@contextmanager
def running_platform(
    postgres_url: str, triton_url: str, work_dir: Path, **extra_env: str
) -> Iterator[Platform]:
    nats = Nats(work_dir / "nats")
    nats.start()
    gateway_port = free_port()
    env = dict(os.environ) | {
        "DATABASE_URL": _fresh_database(postgres_url),
        "NATS_URL": nats.url,
        "TRITON_URL": triton_url,
        "DEVSTACK_DATA_DIR": str(work_dir / "data"),
        "GATEWAY_PORT": str(gateway_port),
        "TASKS_WORKER_GRPC_PORT": str(free_port()),
        "TASKS_WORKER_METRICS_PORT": str(free_port()),
        **extra_env,
    }
    for name in SERVICES:
        port = free_port()
        env[f"{name.upper()}_GRPC_PORT"] = str(port)
        env[f"{name.upper()}_ADDR"] = f"127.0.0.1:{port}"
        env[f"{name.upper()}_METRICS_PORT"] = str(free_port())
    log = work_dir / "platform.log"
    with log.open("wb") as out:
        launcher = subprocess.Popen(
            [sys.executable, "-m", "tools.devstack"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    platform = Platform(url=f"http://127.0.0.1:{gateway_port}", log=log)
    try:

        def ready() -> bool:
            assert launcher.poll() is None, platform.tail()
            try:
                return httpx.get(f"{platform.url}/readyz", timeout=2).json()["status"] == "ready"
            except (httpx.HTTPError, ValueError):
                return False

        wait_until(ready, 120, "the platform to be ready")
        yield platform
    finally:
        if launcher.poll() is None:
            launcher.send_signal(signal.SIGTERM)
            try:
                launcher.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(launcher.pid, signal.SIGKILL)
        nats.stop()
