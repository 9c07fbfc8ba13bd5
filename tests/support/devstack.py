"""`python -m tools.devstack` (what `make run` runs) with every server embedded, on free
ports, its data in a test's directory: started, waited on, and stopped or killed outright."""

import contextlib
import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import psutil

from tests.support.waiting import free_port, wait_until

SERVICES = ("auth", "datasets", "tasks", "inference")


def devstack_env(work_dir: Path) -> tuple[dict[str, str], dict[str, int]]:
    """The launcher's environment (embedded PostgreSQL, NATS and Triton, all state under
    `work_dir`) and the gRPC/HTTP port of each process."""
    env = {
        k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "NATS_URL", "TRITON_URL")
    }
    ports = {name: free_port() for name in (*SERVICES, "worker", "gateway")}
    env |= {
        "DEVSTACK_DATA_DIR": str(work_dir / "data"),
        "DEVSTACK_POSTGRES_PORT": str(free_port()),
        "DEVSTACK_NATS_PORT": str(free_port()),
        "DEVSTACK_TRITON_HTTP_PORT": str(free_port()),
        "DEVSTACK_TRITON_GRPC_PORT": str(free_port()),
        "DEVSTACK_TRITON_METRICS_PORT": str(free_port()),
        "AUTH_SIGNING_KEY_FILE": str(work_dir / "data" / "auth" / "signing-key.pem"),
        "DATASETS_STORAGE_DIR": str(work_dir / "data" / "datasets"),
        "GATEWAY_PORT": str(ports["gateway"]),
        "TASKS_WORKER_GRPC_PORT": str(ports["worker"]),
        "TASKS_WORKER_METRICS_PORT": str(free_port()),
    }
    for name in SERVICES:
        env[f"{name.upper()}_GRPC_PORT"] = str(ports[name])
        env[f"{name.upper()}_ADDR"] = f"127.0.0.1:{ports[name]}"
        env[f"{name.upper()}_METRICS_PORT"] = str(free_port())
    return env, ports


def launch(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "tools.devstack"], env=env, stdout=out, stderr=out
        )


def wait_ready(url: str, launcher: subprocess.Popen[bytes], log: Path, timeout: float = 180):
    """Until /readyz says every component is ready."""

    def ready() -> bool:
        assert launcher.poll() is None, log.read_text(errors="replace")[-4000:]
        try:
            return httpx.get(f"{url}/readyz", timeout=2).json()["status"] == "ready"
        except (httpx.HTTPError, ValueError):
            return False

    wait_until(ready, timeout, "the whole platform to be ready")


def descendants(pid: int) -> list[psutil.Process]:
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def kill_everything(launcher: subprocess.Popen[bytes]) -> None:
    """SIGKILL to the launcher and every process under it at once, as a power cut would."""
    processes = [psutil.Process(launcher.pid), *descendants(launcher.pid)]
    for process in processes:
        with contextlib.suppress(psutil.NoSuchProcess):
            process.send_signal(signal.SIGKILL)
    psutil.wait_procs(processes, timeout=30)
    launcher.wait(30)


def stop(launcher: subprocess.Popen[bytes]) -> None:
    """SIGTERM (what Ctrl-C does), then SIGKILL for whatever is left."""
    children = descendants(launcher.pid)
    if launcher.poll() is None:
        launcher.send_signal(signal.SIGTERM)
        try:
            launcher.wait(60)
        except subprocess.TimeoutExpired:
            launcher.kill()
    for process in children:
        with contextlib.suppress(psutil.NoSuchProcess):
            process.kill()
