"""Settings of the inference service (environment prefix `INFERENCE_`)."""

from pathlib import Path

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from inferlane.common.settings import ServiceSettings, shared

REPO_ROOT = Path(__file__).resolve().parents[2]


class InferenceSettings(ServiceSettings):
    model_config = SettingsConfigDict(
        env_prefix="INFERENCE_", extra="ignore", validate_by_name=True
    )

    grpc_port: int = Field(50054, description="gRPC port.")
    metrics_port: int | None = Field(9104, description="Prometheus /metrics port; unset: off.")
    triton_url: str = shared("TRITON_URL", "127.0.0.1:8001", "Triton gRPC address (host:port).")
    triton_timeout_seconds: float = Field(5.0, description="Deadline of each call to Triton.")
    model_repository: Path = Field(
        REPO_ROOT / "services" / "inference" / "model_repository",
        description="Triton model repository; each model's inferlane.json is read from here.",
    )
    max_rows_per_call: int = Field(256, gt=0, description="Most rows one Predict call may carry.")
    merge_calls: bool = Field(
        True,
        description="Concurrent Predict calls for one model version share Triton requests "
        "(merged_calls.py); off: every call is a request of its own.",
    )
    retry_attempts: int = Field(3, gt=0, description="Tries of a call while Triton is unavailable.")
    oip_max_in_flight_per_user: int = Field(
        16, gt=0, description="Open Inference Protocol calls one user may have in flight."
    )
    breaker_threshold: int = Field(
        5, gt=0, description="Consecutive failures that open the circuit."
    )
    breaker_reset_seconds: float = Field(
        2.0, gt=0, description="How long the circuit stays open before a trial call."
    )
