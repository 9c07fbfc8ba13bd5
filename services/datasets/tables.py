"""Tables of the datasets service, all in its own PostgreSQL schema `datasets`."""

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    ForeignKey,
    Index,
    MetaData,
    String,
    Table,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID

from inferlane.common.outbox import outbox_table

SCHEMA = "datasets"
metadata = MetaData(schema=SCHEMA)

outbox = outbox_table(metadata)

datasets = Table(
    "datasets",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("owner_id", UUID(as_uuid=True), nullable=False),
    Column("name", String(255), nullable=False),  # for display only; storage uses blob_key
    Column("format", String(8), nullable=False),
    Column("size_bytes", BigInteger, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("rows", BigInteger, nullable=False),
    Column("columns", JSONB, nullable=False),  # [{"name": ..., "type": ...}]
    Column("text_column", String(255)),
    Column("preview", JSONB, nullable=False),  # the first rows, for GetRows without the file
    Column("blob_key", String(64), nullable=False, unique=True),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    # formats.offsets.RowIndex as JSON: where every K-th row starts in the blob. NULL for JSON
    # arrays and for datasets uploaded before it existed: those are read from the top.
    Column("row_offsets", JSONB(none_as_null=True)),  # None is SQL NULL, not JSON null
    Column("expires_at", DateTime(timezone=True)),  # opt-in: DATASETS_TTL_SECONDS
    # The encoding an upload was converted from (e.g. "cp1252"); NULL when it was UTF-8.
    Column("source_encoding", String(32)),
    Index("datasets_owner_created", "owner_id", "created_at", "id"),
    Index("datasets_expiring", "expires_at", postgresql_where=text("expires_at IS NOT NULL")),
)

shares = Table(
    "shares",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column(
        "dataset_id",
        UUID(as_uuid=True),
        ForeignKey("datasets.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("owner_id", UUID(as_uuid=True), nullable=False),
    Column("token_sha256", String(64), nullable=False, unique=True),  # the token is never stored
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True)),
)

# Tasks that read a dataset, from the tasks service's lifecycle events: a dataset with a
# lease cannot be deleted. (Services never read each other's tables; events carry this.)
dataset_leases = Table(
    "dataset_leases",
    metadata,
    Column("task_id", UUID(as_uuid=True), primary_key=True),
    Column("dataset_id", UUID(as_uuid=True), nullable=False, index=True),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)
