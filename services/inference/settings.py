"""Settings of the inference service (environment prefix `INFERENCE_`)."""

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from inferlane.common.settings import ServiceSettings, shared


class InferenceSettings(ServiceSettings):
    model_config = SettingsConfigDict(
        env_prefix="INFERENCE_", extra="ignore", validate_by_name=True
    )

    grpc_port: int = Field(50054, description="gRPC port.")
    metrics_port: int | None = Field(9104, description="Prometheus /metrics port; unset: off.")
    triton_url: str = shared("TRITON_URL", "127.0.0.1:8001", "Triton gRPC address (host:port).")  # type: ignore[assignment]
    triton_timeout_seconds: float = Field(5.0, description="Deadline of each call to Triton.")
