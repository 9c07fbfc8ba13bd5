"""Settings of the tasks service (environment prefix `TASKS_`)."""

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from inferlane.common.settings import ServiceSettings


class TasksSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="TASKS_", extra="ignore", validate_by_name=True)

    grpc_port: int = Field(50053, description="gRPC port.")
    metrics_port: int | None = Field(9103, description="Prometheus /metrics port; unset: off.")
