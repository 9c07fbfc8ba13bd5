"""What `make run` reads: the shared URLs (unset → embedded server) and the embedded ports."""

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from inferlane.common.settings import shared
from tools.devstack.embedded import REPO_ROOT


class StackSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DEVSTACK_", extra="ignore", validate_by_name=True)

    database_url: str | None = shared("DATABASE_URL", None, "Use this PostgreSQL; unset: embedded.")
    nats_url: str | None = shared("NATS_URL", None, "Use this NATS; unset: embedded.")
    triton_url: str | None = shared(
        "TRITON_URL", None, "Use this Triton (gRPC host:port); unset: embedded."
    )
    gateway_port: int = shared("GATEWAY_PORT", 8080, "Port of the gateway (REST API, console).")
    data_dir: Path = Field(
        REPO_ROOT / ".data", description="Where embedded servers keep their data."
    )
    postgres_port: int = Field(5532, description="Port of the embedded PostgreSQL.")
    nats_port: int = Field(4322, description="Port of the embedded NATS server.")
    triton_http_port: int = Field(8000, description="HTTP port of the embedded Triton.")
    triton_grpc_port: int = Field(8001, description="gRPC port of the embedded Triton.")
    triton_metrics_port: int = Field(8002, description="Metrics port of the embedded Triton.")
