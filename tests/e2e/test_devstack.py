"""`make run`'s launcher: every process comes up, /readyz says ready, a process that dies is
started again, SIGTERM leaves none behind."""

import os
import signal
import subprocess
import sys
import time

import httpx
import psutil
import pytest

from tests.support.waiting import free_port, wait_until

SERVICES = ("auth", "datasets", "tasks", "inference")


@pytest.fixture
def stack_env(tmp_path):
    env = {
        k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "NATS_URL", "TRITON_URL")
    }
    ports = {name: free_port() for name in (*SERVICES, "worker", "gateway")}
    env |= {
        "DEVSTACK_DATA_DIR": str(tmp_path / "data"),
        "DEVSTACK_POSTGRES_PORT": str(free_port()),
        "DEVSTACK_NATS_PORT": str(free_port()),
        "DEVSTACK_TRITON_HTTP_PORT": str(free_port()),
        "DEVSTACK_TRITON_GRPC_PORT": str(free_port()),
        "DEVSTACK_TRITON_METRICS_PORT": str(free_port()),
        "GATEWAY_PORT": str(ports["gateway"]),
        "TASKS_WORKER_GRPC_PORT": str(ports["worker"]),
        "TASKS_WORKER_METRICS_PORT": str(free_port()),
    }
    for name in SERVICES:
        env[f"{name.upper()}_GRPC_PORT"] = str(ports[name])
        env[f"{name.upper()}_ADDR"] = f"127.0.0.1:{ports[name]}"
        env[f"{name.upper()}_METRICS_PORT"] = str(free_port())
    return env, ports


def descendants(pid: int) -> list[psutil.Process]:
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


@pytest.mark.slow
def test_launcher_starts_everything_restarts_what_dies_and_sigterm_stops_every_process(
    stack_env, tmp_path
):
    env, ports = stack_env
    log = (tmp_path / "stack.log").open("wb")
    launcher = subprocess.Popen(
        [sys.executable, "-m", "inferlane.devstack"], env=env, stdout=log, stderr=subprocess.STDOUT
    )
    url = f"http://127.0.0.1:{ports['gateway']}"
    try:

        def ready() -> bool:
            assert launcher.poll() is None, (tmp_path / "stack.log").read_text()[-4000:]
            try:
                return httpx.get(f"{url}/readyz", timeout=2).json()["status"] == "ready"
            except (httpx.HTTPError, ValueError):
                return False

        wait_until(ready, 120, "the whole platform to be ready")
        announced = lambda: "Inferlane is ready" in (tmp_path / "stack.log").read_text()  # noqa: E731
        wait_until(announced, 10, "the launcher to print that the platform is ready")
        body = httpx.get(f"{url}/readyz").json()
        assert set(body["components"]) >= {"postgres", "nats", "triton", *SERVICES}
        assert (
            int(env["AUTH_METRICS_PORT"])
            and httpx.get(f"http://127.0.0.1:{env['AUTH_METRICS_PORT']}/metrics").status_code == 200
        )
        # The kernel kills one service (say, for memory): it comes back, the rest stay up.
        (datasets,) = [p for p in descendants(launcher.pid) if "services.datasets" in p.cmdline()]
        datasets.kill()
        log = lambda: (tmp_path / "stack.log").read_text()  # noqa: E731
        wait_until(lambda: "restarting datasets" in log(), 30, "the launcher to restart datasets")
        assert "datasets exited (rc=" in log()
        wait_until(ready, 120, "the platform to be ready again")
        assert launcher.poll() is None

        children = descendants(launcher.pid)
        names = " ".join(" ".join(p.cmdline()) for p in children)
        for expected in (
            "postgres",
            "nats-server",
            "tritonserver",
            "services.gateway",
            "services.tasks.worker",
        ):
            assert expected in names

        launcher.send_signal(signal.SIGTERM)
        launcher.wait(60)
        time.sleep(0.5)
        alive = [p for p in children if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
        assert alive == [], [p.cmdline() for p in alive]
    finally:
        if launcher.poll() is None:
            launcher.kill()
        for p in descendants(launcher.pid):
            p.kill()
