"""Settings of the auth service (environment prefix `AUTH_`)."""

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from inferlane.common.settings import ServiceSettings


class AuthSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="AUTH_", extra="ignore", validate_by_name=True)

    grpc_port: int = Field(50051, description="gRPC port.")
    metrics_port: int | None = Field(9101, description="Prometheus /metrics port; unset: off.")
