"""Settings of the datasets service (environment prefix `DATASETS_`)."""

from pathlib import Path

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from inferlane.common.settings import ServiceSettings
from services.datasets.formats import Limits

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
    # What one record may cost the parser (see formats/limits.py); breaking one is a 422.
    max_nesting_depth: int = Field(
        Limits.max_nesting_depth,
        gt=0,
        le=90,
        description="Deepest nesting of arrays/objects in one JSON record.",
    )
    max_line_bytes: int = Field(
        Limits.max_line_bytes, gt=0, description="Longest line of a CSV, TSV or JSON Lines upload."
    )
    max_values_per_record: int = Field(
        Limits.max_values_per_record,
        gt=0,
        description="Most values (nested ones too) in one JSON record.",
    )
    max_columns: int = Field(Limits.max_columns, gt=0, description="Most columns in a dataset.")
    max_value_bytes: int = Field(
        Limits.max_value_bytes,
        gt=0,
        description="Largest single value (a CSV cell, a JSON string).",
    )

    ttl_seconds: int | None = Field(
        None,
        gt=0,
        description="Opt-in expiry: seconds after upload a dataset is deleted (unless a "
        "running task reads it then: it goes once the task ends). Unset: kept until deleted.",
    )
    janitor_interval_seconds: float = Field(
        60.0, gt=0, description="Pause between two sweeps of the dataset expiry janitor."
    )
    janitor_batch: int = Field(
        50, gt=0, description="Datasets the expiry janitor deletes per transaction."
    )

    def limits(self) -> Limits:
        return Limits(
            max_nesting_depth=self.max_nesting_depth,
            max_line_bytes=self.max_line_bytes,
            max_values_per_record=self.max_values_per_record,
            max_columns=self.max_columns,
            max_value_bytes=self.max_value_bytes,
        )
