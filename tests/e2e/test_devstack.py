"""`make run`'s launcher: every process comes up, /readyz says ready, a process that dies is
started again, SIGTERM leaves none behind."""

import signal
import subprocess
import sys
import time

import httpx
import psutil
import pytest

from tests.support.devstack import SERVICES, descendants, devstack_env
from tests.support.waiting import wait_until


@pytest.fixture
def stack_env(tmp_path):
    return devstack_env(tmp_path)


@pytest.mark.slow
def test_launcher_starts_everything_restarts_what_dies_and_sigterm_stops_every_process(
    stack_env, tmp_path
):
    env, ports = stack_env
    log = (tmp_path / "stack.log").open("wb")
    launcher = subprocess.Popen(
        [sys.executable, "-m", "tools.devstack"], env=env, stdout=log, stderr=subprocess.STDOUT
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
