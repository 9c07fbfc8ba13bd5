"""`make run`: the whole platform on one machine, under a supervisor built on honcho.

Embedded PostgreSQL, NATS and Triton start unless DATABASE_URL / NATS_URL / TRITON_URL
point at running ones. A process that dies is started again after a backoff (the output
says so); Ctrl-C or SIGTERM stops every process (each process group is signalled, so
grandchildren such as Triton's python stubs go too).
"""

import json
import os
import secrets
import shlex
import sys
import threading
import time
from dataclasses import dataclass, field

import httpx

from tools.devstack import binaries, embedded
from tools.devstack.settings import StackSettings
from tools.devstack.supervisor import Supervisor

PY = shlex.quote(sys.executable)
WORKER_ACCOUNT = "tasks-worker"  # the worker's service account in auth


@dataclass(frozen=True)
class Process:
    name: str
    command: str
    extra_env: dict[str, str] = field(default_factory=dict)


def _service(
    name: str, module: str, migrate: bool = False, env: dict[str, str] | None = None
) -> Process:
    run = f"exec {PY} -m {module}"
    command = f"{PY} -m inferlane.common.migrate {name} && {run}" if migrate else run
    return Process(name, command, env or {})


def plan(settings: StackSettings) -> tuple[list[Process], dict[str, str]]:
    """The processes to start, and the environment they share."""
    processes: list[Process] = []
    env = dict(os.environ)
    if settings.database_url is None:
        command = embedded.postgres_command(settings.data_dir / "postgres", settings.postgres_port)
        processes.append(Process("postgres", "exec " + shlex.join(command)))
        env["DATABASE_URL"] = f"postgresql://postgres@127.0.0.1:{settings.postgres_port}/postgres"
    if settings.nats_url is None:
        store = settings.data_dir / "nats"
        processes.append(
            Process("nats", "exec " + shlex.join(embedded.nats_command(settings.nats_port, store)))
        )
        env["NATS_URL"] = f"nats://127.0.0.1:{settings.nats_port}"
    if settings.triton_url is None:
        command = embedded.triton_command(
            settings.triton_http_port, settings.triton_grpc_port, settings.triton_metrics_port
        )
        # Triton's library path must not reach the Python processes (it would make them
        # load the system libpython instead of their own).
        processes.append(Process("triton", "exec " + shlex.join(command), binaries.triton_env()))
        env["TRITON_URL"] = f"127.0.0.1:{settings.triton_grpc_port}"
    # The worker acts for users with a service account; a new key each launch, known only
    # to these two processes (auth revokes the previous one when it starts).
    worker_key = "ilk_" + secrets.token_urlsafe(32)
    processes += [
        _service(
            "auth",
            "services.auth",
            migrate=True,
            env={"AUTH_SERVICE_ACCOUNTS": json.dumps({WORKER_ACCOUNT: worker_key})},
        ),
        _service("datasets", "services.datasets", migrate=True),
        _service("tasks", "services.tasks", migrate=True),
        _service(
            "tasks-worker", "services.tasks.worker", env={"TASKS_WORKER_SERVICE_KEY": worker_key}
        ),
        _service("inference", "services.inference"),
        _service("gateway", "services.gateway"),
    ]
    return processes, env


def announce_when_ready(url: str, stop: threading.Event) -> None:
    """Print once when /readyz says every component is up (processes start in parallel)."""
    while not stop.wait(1.0):
        try:
            if httpx.get(f"{url}/readyz", timeout=2).json().get("status") == "ready":
                print(f"\n  Inferlane is ready: {url}  (API docs: {url}/docs)\n", flush=True)
                return
        except (httpx.HTTPError, ValueError):
            pass


def main() -> None:
    settings = StackSettings()
    processes, env = plan(settings)
    manager = Supervisor()
    for process in processes:
        manager.add_process(
            process.name,
            process.command,
            env={**env, **process.extra_env},
            cwd=str(embedded.REPO_ROOT),
        )
    url = f"http://127.0.0.1:{settings.gateway_port}"
    print(
        f"Starting Inferlane at {url} — a process that dies is restarted;"
        " Ctrl-C stops every process.",
        flush=True,
    )
    stop = threading.Event()
    threading.Thread(target=announce_when_ready, args=(url, stop), daemon=True).start()
    started = time.monotonic()
    manager.loop()
    stop.set()
    print(f"Stopped after {time.monotonic() - started:.0f} s.", flush=True)
    sys.exit(manager.returncode)


if __name__ == "__main__":
    main()
