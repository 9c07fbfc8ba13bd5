"""Settings of the datasets service (environment prefix `DATASETS_`)."""

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from inferlane.common.settings import ServiceSettings


class DatasetsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="DATASETS_", extra="ignore", validate_by_name=True)

    grpc_port: int = Field(50052, description="gRPC port.")
    metrics_port: int | None = Field(9102, description="Prometheus /metrics port; unset: off.")
