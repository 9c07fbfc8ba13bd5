"""Tables of the tasks service, all in its own PostgreSQL schema `tasks`."""

import uuid

from pgvector.sqlalchemy import Vector
from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Identity,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID

from inferlane.common.outbox import outbox_table

SCHEMA = "tasks"
metadata = MetaData(schema=SCHEMA)

outbox = outbox_table(metadata)

tasks = Table(
    "tasks",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("owner_id", UUID(as_uuid=True), nullable=False),
    Column("type", String(16), nullable=False),
    Column("model", String(128), nullable=False),
    Column("status", String(16), nullable=False),
    Column("input", JSONB),
    Column("dataset_id", UUID(as_uuid=True)),
    Column("dataset_name", String(255)),  # for display: the name when the task was created
    Column("callback_url", Text),  # also gets the terminal event (webhooks)
    Column("column_name", String(255)),
    Column("row_limit", BigInteger),
    Column("version", String(32)),  # the model version, fixed at creation
    Column("label_column", String(1024)),  # expected labels of an evaluating batch task
    Column("id_column", String(1024)),  # the caller's own row ids, carried into results
    Column("labels", JSONB, nullable=False, server_default=text("'[]'::jsonb")),
    Column("input_columns", JSONB, nullable=False, server_default=text("'[]'::jsonb")),
    Column("total", BigInteger, nullable=False),
    Column("done", BigInteger, nullable=False, server_default=text("0")),
    Column("failed", BigInteger, nullable=False, server_default=text("0")),
    Column("chunks_total", Integer, nullable=False),
    Column("chunks_done", Integer, nullable=False, server_default=text("0")),
    Column("summary", JSONB),
    Column("error_code", String(8)),
    Column("error_message", Text),
    Column("idempotency_key", String(255)),
    Column("request_hash", String(64)),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("queued_at", DateTime(timezone=True)),
    Column("started_at", DateTime(timezone=True)),
    Column("finished_at", DateTime(timezone=True)),
    Column("expires_at", DateTime(timezone=True)),  # when the janitor deletes its results
    Column("expired_at", DateTime(timezone=True)),  # when it did
    CheckConstraint(
        "status IN ('accepted', 'queued', 'running', 'ready', 'error', 'cancelled')",
        name="ck_tasks_status",
    ),
)
Index("ix_tasks_owner_created", tasks.c.owner_id, tasks.c.created_at.desc(), tasks.c.id.desc())
Index(
    "ix_tasks_owner_active",
    tasks.c.owner_id,
    postgresql_where=text("status IN ('accepted', 'queued', 'running')"),
)
Index(
    "ix_tasks_expiring",
    tasks.c.expires_at,
    postgresql_where=text("expired_at IS NULL AND expires_at IS NOT NULL"),
)
Index(
    "ux_tasks_owner_idempotency_key",
    tasks.c.owner_id,
    tasks.c.idempotency_key,
    unique=True,
    postgresql_where=text("idempotency_key IS NOT NULL"),
)


def _task_id() -> Column[uuid.UUID]:
    """The key column of a task's rows: they go when the task goes."""
    return Column(
        "task_id",
        UUID(as_uuid=True),
        ForeignKey("tasks.tasks.id", ondelete="CASCADE"),
        primary_key=True,
    )


# One row per chunk: completed_at is set once, in the transaction that stores its results,
# which is what makes counting progress exactly-once under redelivery.
task_chunks = Table(
    "task_chunks",
    metadata,
    _task_id(),
    Column("chunk_index", Integer, primary_key=True),
    Column("start_row", BigInteger, nullable=False),
    Column("end_row", BigInteger, nullable=False),
    Column("completed_at", DateTime(timezone=True)),
)

task_results = Table(
    "task_results",
    metadata,
    _task_id(),
    Column("row_index", BigInteger, primary_key=True),
    Column("input", JSONB, nullable=False),
    Column("label", String(128)),
    Column("scores", JSONB),
    Column("raw", JSONB),
    Column("error_code", String(8)),
    Column("error_message", Text),
    Column("expected_label", Text),  # as read from the task's label column
    Column("custom_id", Text),  # as read from the task's id column
)

# One vector per successful row of an embedding batch task, written by the transaction that
# stores the chunk's results (so exactly once). Each finished task gets its own partial HNSW
# index (services/tasks/vector_index.py): a search never wades through other tasks' vectors.
EMBEDDING_DIMENSIONS = 384
task_vectors = Table(
    "task_vectors",
    metadata,
    _task_id(),
    Column("row_index", BigInteger, primary_key=True),
    Column("embedding", Vector(EMBEDDING_DIMENSIONS), nullable=False),
)

task_label_counts = Table(
    "task_label_counts",
    metadata,
    _task_id(),
    Column("label", String(128), primary_key=True),
    Column("count", BigInteger, nullable=False),
)

# Append-only (a trigger refuses UPDATE and DELETE): see services/tasks/audit.py. No foreign
# key: a trail outlives its task, and a task may still be deleted.
task_audit = Table(
    "task_audit",
    metadata,
    Column("seq", BigInteger, Identity(always=True), primary_key=True),
    Column("task_id", UUID(as_uuid=True), nullable=False),
    Column("event", String(32), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False, server_default=func.clock_timestamp()),
    Column("actor_id", UUID(as_uuid=True)),
    Column("details", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
)
Index("ix_task_audit_task_seq", task_audit.c.task_id, task_audit.c.seq)

dead_letters = Table(
    "dead_letters",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("task_id", UUID(as_uuid=True), nullable=False),
    Column("owner_id", UUID(as_uuid=True), nullable=False),
    Column("subject", String(255), nullable=False),
    Column("payload", LargeBinary, nullable=False),
    Column("delivery_count", BigInteger, nullable=False),
    Column("reason", Text, nullable=False),
    Column("dead_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("replayed_at", DateTime(timezone=True)),
)
Index("ix_dead_letters_dead_at", dead_letters.c.dead_at.desc(), dead_letters.c.id.desc())
Index("ix_dead_letters_task", dead_letters.c.task_id)

# One token bucket per rate-limited key (a user's task creations): in the database, so that
# N tasks replicas allow a user the rate once, not N times.
rate_buckets = Table(
    "rate_buckets",
    metadata,
    Column("key", String(200), primary_key=True),
    Column("tokens", Float, nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
)
