"""Command lines for the embedded servers; `make run` and the test fixtures share them."""

import sys
from pathlib import Path

from tools.devstack import binaries

REPO_ROOT = Path(__file__).resolve().parents[2]
MODEL_REPOSITORY = REPO_ROOT / "services" / "inference" / "model_repository"


def postgres_command(data_dir: Path, port: int) -> list[str]:
    """PostgreSQL in the foreground, initialised on first use (see devstack/postgres.py)."""
    return [sys.executable, "-m", "tools.devstack.postgres", str(data_dir), str(port)]


def nats_command(port: int, store_dir: Path, monitor_port: int | None = None) -> list[str]:
    command = [
        str(binaries.nats_server()),
        "-a",
        "127.0.0.1",
        "-p",
        str(port),
        "-js",
        "-sd",
        str(store_dir),
    ]
    if monitor_port is not None:
        command += ["-m", str(monitor_port)]
    return command


def triton_command(
    http_port: int, grpc_port: int, metrics_port: int, model_repository: Path = MODEL_REPOSITORY
) -> list[str]:
    return [
        str(binaries.triton_home() / "bin" / "tritonserver"),
        f"--model-repository={model_repository}",
        f"--backend-directory={binaries.triton_backends()}",
        f"--http-port={http_port}",
        f"--grpc-port={grpc_port}",
        f"--metrics-port={metrics_port}",
        "--http-address=127.0.0.1",
        "--grpc-address=127.0.0.1",
        "--log-info=false",
        "--exit-timeout-secs=5",
    ]
