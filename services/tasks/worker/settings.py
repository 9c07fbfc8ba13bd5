"""Settings of the tasks worker (environment prefix `TASKS_WORKER_`)."""

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from inferlane.common.settings import ServiceSettings


class WorkerSettings(ServiceSettings):
    model_config = SettingsConfigDict(
        env_prefix="TASKS_WORKER_", extra="ignore", validate_by_name=True
    )

    grpc_port: int = Field(50055, description="gRPC port (health only, for probes).")
    metrics_port: int | None = Field(9105, description="Prometheus /metrics port; unset: off.")
