"""Settings of the tasks service (environment prefix `TASKS_`)."""

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from inferlane.common.settings import ServiceSettings, shared


class TasksSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="TASKS_", extra="ignore", validate_by_name=True)

    grpc_port: int = Field(50053, description="gRPC port.")
    metrics_port: int | None = Field(9103, description="Prometheus /metrics port; unset: off.")
    datasets_addr: str = shared(
        "DATASETS_ADDR", "127.0.0.1:50052", "Datasets service gRPC address."
    )
    inference_addr: str = shared(
        "INFERENCE_ADDR", "127.0.0.1:50054", "Inference service gRPC address."
    )
    chunk_rows: int = Field(
        256,
        gt=0,
        description="Rows per work message of a batch task (the first four are an eighth, an "
        "eighth, a quarter and a half of it, so progress shows early). Keep it a multiple of "
        "the datasets service's checkpoint spacing (256 rows), so each read starts at one.",
    )
    numeric_chunk_rows: int = Field(
        4096,
        gt=0,
        description="Rows per work message of a batch task on a model whose inputs are numbers "
        "(tabular models: a row costs microseconds, not milliseconds, so bigger chunks spend "
        "fewer reads, statements and acks per row). Text models use TASKS_CHUNK_ROWS. Keep it "
        "a multiple of 256 too.",
    )
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
    create_concurrency: int = Field(
        16,
        gt=0,
        description="Task creations one tasks process runs at once (each holds a database "
        "connection); the rest wait in line, first come first served.",
    )
    create_queue_seconds: float = Field(
        5.0,
        gt=0,
        description="Longest wait in that line (and never past the caller's deadline): a "
        "creation that cannot start by then is a 503 with Retry-After, with nothing created.",
    )
    watch_poll_seconds: float = Field(
        1.0, gt=0, description="Longest wait between two looks at a watched task."
    )
    ttl_seconds: int = Field(
        30 * 86400,
        gt=0,
        description="Seconds a task's results, exports and vectors are kept after creation "
        "when the task does not say (its summary stays after).",
    )
    max_ttl_seconds: int = Field(
        365 * 86400, gt=0, description="Most seconds a task may ask to keep its results."
    )
    janitor_interval_seconds: float = Field(
        60.0, gt=0, description="Pause between two sweeps of the retention janitor."
    )
    janitor_batch: int = Field(
        50, gt=0, description="Tasks the retention janitor expires per transaction."
    )
    webhooks_allow_networks: str = Field(
        "",
        description="Private networks webhooks may reach in a trusted deployment, comma "
        'separated (e.g. "10.0.0.0/8,127.0.0.1/32"); empty: public addresses only.',
    )
    webhooks_first_retry_seconds: float = Field(
        5.0, gt=0, description="Wait before a failed webhook delivery's first retry; doubles."
    )
    webhooks_max_retry_seconds: float = Field(
        3600.0, gt=0, description="Longest wait between two tries of a webhook delivery."
    )
    webhooks_give_up_seconds: float = Field(
        86400.0, gt=0, description="A webhook delivery is retried for this long, then failed."
    )
    webhooks_disable_after: int = Field(
        5,
        gt=0,
        description="Failed webhook deliveries in a row (each after all its retries) after "
        "which an endpoint is disabled.",
    )
    webhooks_poll_seconds: float = Field(
        1.0, gt=0, description="Longest wait of the webhook dispatcher for due deliveries."
    )
    webhooks_timeout_seconds: float = Field(
        10.0, gt=0, description="Time one webhook POST may take, connecting included."
    )
    public_url: str = Field(
        "",
        description="The gateway's public base URL, for absolute links in webhook events; "
        "empty: links are paths.",
    )
