"""Settings of the datasets service (environment prefix `DATASETS_`)."""

from pathlib import Path

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from inferlane.common.settings import ServiceSettings

REPO_ROOT = Path(__file__).resolve().parents[2]


class DatasetsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="DATASETS_", extra="ignore", validate_by_name=True)

    grpc_port: int = Field(50052, description="gRPC port.")
    metrics_port: int | None = Field(9102, description="Prometheus /metrics port; unset: off.")
    storage_dir: Path = Field(
        REPO_ROOT / ".data" / "datasets", description="Local directory of the blob store."
    )
    max_upload_bytes: int = Field(
        50 * 1024 * 1024, gt=0, description="Largest dataset accepted, after gzip inflation."
    )
