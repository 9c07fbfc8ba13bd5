"""Settings of the tasks worker (environment prefix `TASKS_WORKER_`)."""

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from inferlane.common.settings import ServiceSettings, shared


class WorkerSettings(ServiceSettings):
    model_config = SettingsConfigDict(
        env_prefix="TASKS_WORKER_", extra="ignore", validate_by_name=True
    )

    grpc_port: int = Field(50055, description="gRPC port (health only, for probes).")
    metrics_port: int | None = Field(9105, description="Prometheus /metrics port; unset: off.")
    service_key: SecretStr | None = Field(
        None,
        description="API key of the worker's service account (auth's AUTH_SERVICE_ACCOUNTS); "
        "the worker reads datasets and calls models for each task's owner with it.",
    )
    datasets_addr: str = shared(
        "DATASETS_ADDR", "127.0.0.1:50052", "Datasets service gRPC address."
    )
    inference_addr: str = shared(
        "INFERENCE_ADDR", "127.0.0.1:50054", "Inference service gRPC address."
    )
    concurrency: int = Field(
        256,
        gt=0,
        description="Work messages one worker process takes at once. Many single tasks in "
        "flight let Triton's dynamic batcher merge them (up to its batch of 256).",
    )
    batch_chunks: int = Field(
        4,
        gt=0,
        description="Of those, batch chunks that run at once, lowest chunk index first: a "
        "task's chunks then finish in order (steady progress), tasks side by side take turns, "
        "and the model's queue stays short.",
    )
    predict_rows: int = Field(
        64,
        gt=0,
        description="Rows per Predict call to the inference service (fewer while the model "
        "is slow, more while it is fast: see ROWS_IN_FLIGHT).",
    )
    max_predict_rows: int = Field(
        256,
        gt=0,
        description="Most rows per Predict call, reached while a model's window holds "
        "BATCH_CHUNKS calls of that size; keep it at most the inference service's "
        "INFERENCE_MAX_ROWS_PER_CALL.",
    )
    rows_in_flight: int = Field(
        256,
        gt=0,
        description="Rows one worker has in Predict calls to a model at once, at first; each "
        "model's window then adapts: doubled while it answers within TARGET_LATENCY_SECONDS "
        "(until its first late answer, then grown slowly), halved when it answers later or "
        "is busy, between PREDICT_ROWS / 8 and MAX_ROWS_IN_FLIGHT. Calls follow the window.",
    )
    max_rows_in_flight: int = Field(
        2048,
        gt=0,
        description="Most rows one worker has in Predict calls to one model at once (a cheap "
        "model's window grows to it).",
    )
    target_latency_seconds: float = Field(
        2.0,
        gt=0,
        description="Slowest answer to a Predict call that still counts as on time; keep it "
        "well under INFERENCE_TRITON_TIMEOUT_SECONDS so a call's wait in Triton's queue fits "
        "its deadline.",
    )
    retry_budget_seconds: float = Field(
        900.0,
        gt=0,
        description="How long a chunk keeps retrying a dependency that is busy, restarting or "
        "unreachable before it goes to the dead-letter stream. Time waiting for inference to "
        "be ready is not counted: the worker then takes no work, and tasks wait.",
    )
    max_attempts: int = Field(
        5,
        gt=0,
        description="Deliveries of a chunk (each ended by a worker crash or an unexpected "
        "error; retries within the budget are not deliveries) before it is dead-lettered.",
    )
    retry_base_seconds: float = Field(
        1.0, gt=0, description="First retry delay of a failed chunk; doubles each try."
    )
    retry_max_seconds: float = Field(30.0, gt=0, description="Longest retry delay of a chunk.")
    ack_wait_seconds: float = Field(
        120.0, gt=0, description="A chunk not acked this long is redelivered (worker died)."
    )
    progress_interval_seconds: float = Field(
        0.25, ge=0, description="Shortest gap between two progress events of one task."
    )
    store_vectors: bool = Field(
        True,
        description="Store each row's embedding of an embedding batch task in pgvector (for "
        "search); off, embeddings are only in the results.",
    )
    vector_index_min_rows: int = Field(
        1000,
        ge=0,
        description="A finished embedding task with at least this many vectors gets its own "
        "HNSW index; smaller ones are searched exactly.",
    )
