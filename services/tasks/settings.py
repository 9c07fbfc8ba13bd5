"""Settings of the tasks service (environment prefix `TASKS_`)."""

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from inferlane.common.settings import ServiceSettings, shared


class TasksSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="TASKS_", extra="ignore", validate_by_name=True)

    grpc_port: int = Field(50053, description="gRPC port.")
    metrics_port: int | None = Field(9103, description="Prometheus /metrics port; unset: off.")
    datasets_addr: str = shared(  # type: ignore[assignment]
        "DATASETS_ADDR", "127.0.0.1:50052", "Datasets service gRPC address."
    )
    inference_addr: str = shared(  # type: ignore[assignment]
        "INFERENCE_ADDR", "127.0.0.1:50054", "Inference service gRPC address."
    )
    chunk_rows: int = Field(256, gt=0, description="Rows per work message of a batch task.")
    max_active_per_user: int = Field(
        100, gt=0, description="Unfinished tasks a user may have before creating more is a 429."
    )
    create_rate_per_second: float = Field(
        20.0,
        gt=0,
        description="Task creations per second per user (one token bucket in PostgreSQL, "
        "shared by every replica).",
    )
    create_burst: int = Field(40, gt=0, description="Burst of task creations per user.")
    watch_poll_seconds: float = Field(
        1.0, gt=0, description="Longest wait between two looks at a watched task."
    )
