"""Start the whole platform (the `make run` launcher) on free ports for a benchmark run."""

import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.support.waiting import free_port

SERVICES = ("auth", "datasets", "tasks", "inference")


@dataclass(frozen=True)
class Stack:
    gateway_url: str
    triton_url: str
    addresses: dict[str, str]
    log: Path
    launcher_pid: int  # every process of the platform descends from it
    database_url: str = ""  # the embedded PostgreSQL, for legs that look at what is stored


@contextmanager
def running_stack(**settings: str) -> Iterator[Stack]:
    """`settings`: extra environment for every process (e.g. a larger upload limit)."""
    data = Path(tempfile.mkdtemp(prefix="inferlane-bench-"))
    env = {
        k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "NATS_URL", "TRITON_URL")
    }
    gateway, triton_grpc, postgres = free_port(), free_port(), free_port()
    env |= {
        "DEVSTACK_DATA_DIR": str(data),
        "DEVSTACK_POSTGRES_PORT": str(postgres),
        "DEVSTACK_NATS_PORT": str(free_port()),
        "DEVSTACK_TRITON_HTTP_PORT": str(free_port()),
        "DEVSTACK_TRITON_GRPC_PORT": str(triton_grpc),
        "DEVSTACK_TRITON_METRICS_PORT": str(free_port()),
        "GATEWAY_PORT": str(gateway),
        "TASKS_WORKER_GRPC_PORT": str(free_port()),
        "TASKS_WORKER_METRICS_PORT": str(free_port()),
        "AUTH_SIGNING_KEY_FILE": str(data / "signing-key.pem"),
        "DATASETS_STORAGE_DIR": str(data / "datasets"),
        "LOG_LEVEL": "WARNING",
        **settings,
    }
    addresses = {}
    for name in SERVICES:
        port = free_port()
        addresses[name] = f"127.0.0.1:{port}"
        env |= {f"{name.upper()}_GRPC_PORT": str(port), f"{name.upper()}_ADDR": addresses[name]}
        env[f"{name.upper()}_METRICS_PORT"] = str(free_port())
    log = data / "stack.log"
    launcher = subprocess.Popen(
        [sys.executable, "-m", "tools.devstack"],
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{gateway}"
    try:
        deadline = time.monotonic() + 180
        while True:
            if launcher.poll() is not None:
                raise RuntimeError(f"the stack exited:\n{log.read_text()[-3000:]}")
            try:
                if httpx.get(f"{url}/readyz", timeout=2).json().get("status") == "ready":
                    break
            except (httpx.HTTPError, ValueError):
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"the stack never became ready; see {log}")
            time.sleep(0.5)
        database = f"postgresql://postgres@127.0.0.1:{postgres}/postgres"
        yield Stack(url, f"127.0.0.1:{triton_grpc}", addresses, log, launcher.pid, database)
    finally:
        launcher.send_signal(signal.SIGTERM)
        try:
            launcher.wait(60)
        except subprocess.TimeoutExpired:
            launcher.kill()
