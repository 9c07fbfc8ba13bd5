"""Tasks, their chunks, results, label counts and dead letters.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

S = "tasks"


def _task_fk() -> sa.Column:
    return sa.Column(
        "task_id",
        UUID(as_uuid=True),
        sa.ForeignKey("tasks.tasks.id", ondelete="CASCADE"),
        primary_key=True,
    )


def upgrade() -> None:
    now = sa.func.now()
    op.create_table(
        "tasks",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("owner_id", UUID(as_uuid=True), nullable=False),
        sa.Column("type", sa.String(16), nullable=False),
        sa.Column("model", sa.String(128), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("input", JSONB),
        sa.Column("dataset_id", UUID(as_uuid=True)),
        sa.Column("column_name", sa.String(255)),
        sa.Column("row_limit", sa.BigInteger),
        sa.Column("labels", JSONB, nullable=False, server_default=sa.text("'[]'::jsonb")),
        sa.Column("input_columns", JSONB, nullable=False, server_default=sa.text("'[]'::jsonb")),
        sa.Column("total", sa.BigInteger, nullable=False),
        sa.Column("done", sa.BigInteger, nullable=False, server_default=sa.text("0")),
        sa.Column("failed", sa.BigInteger, nullable=False, server_default=sa.text("0")),
        sa.Column("chunks_total", sa.Integer, nullable=False),
        sa.Column("chunks_done", sa.Integer, nullable=False, server_default=sa.text("0")),
        sa.Column("summary", JSONB),
        sa.Column("error_code", sa.String(8)),
        sa.Column("error_message", sa.Text),
        sa.Column("idempotency_key", sa.String(255)),
        sa.Column("request_hash", sa.String(64)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=now),
        sa.Column("queued_at", sa.DateTime(timezone=True)),
        sa.Column("started_at", sa.DateTime(timezone=True)),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.CheckConstraint(
            "status IN ('accepted', 'queued', 'running', 'ready', 'error', 'cancelled')",
            name="ck_tasks_status",
        ),
        schema=S,
    )
    op.create_index(
        "ix_tasks_owner_created",
        "tasks",
        ["owner_id", sa.text("created_at DESC"), sa.text("id DESC")],
        schema=S,
    )
    op.create_index(
        "ix_tasks_owner_active",
        "tasks",
        ["owner_id"],
        schema=S,
        postgresql_where=sa.text("status IN ('accepted', 'queued', 'running')"),
    )
    op.create_index(
        "ux_tasks_owner_idempotency_key",
        "tasks",
        ["owner_id", "idempotency_key"],
        unique=True,
        schema=S,
        postgresql_where=sa.text("idempotency_key IS NOT NULL"),
    )
    op.create_table(
        "task_chunks",
        _task_fk(),
        sa.Column("chunk_index", sa.Integer, primary_key=True),
        sa.Column("start_row", sa.BigInteger, nullable=False),
        sa.Column("end_row", sa.BigInteger, nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True)),
        schema=S,
    )
    op.create_table(
        "task_results",
        _task_fk(),
        sa.Column("row_index", sa.BigInteger, primary_key=True),
        sa.Column("input", JSONB, nullable=False),
        sa.Column("label", sa.String(128)),
        sa.Column("scores", JSONB),
        sa.Column("raw", JSONB),
        sa.Column("error_code", sa.String(8)),
        sa.Column("error_message", sa.Text),
        schema=S,
    )
    op.create_table(
        "task_label_counts",
        _task_fk(),
        sa.Column("label", sa.String(128), primary_key=True),
        sa.Column("count", sa.BigInteger, nullable=False),
        schema=S,
    )
    op.create_table(
        "dead_letters",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("task_id", UUID(as_uuid=True), nullable=False),
        sa.Column("owner_id", UUID(as_uuid=True), nullable=False),
        sa.Column("subject", sa.String(255), nullable=False),
        sa.Column("payload", sa.LargeBinary, nullable=False),
        sa.Column("delivery_count", sa.BigInteger, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("dead_at", sa.DateTime(timezone=True), nullable=False, server_default=now),
        sa.Column("replayed_at", sa.DateTime(timezone=True)),
        schema=S,
    )
    op.create_index(
        "ix_dead_letters_dead_at",
        "dead_letters",
        [sa.text("dead_at DESC"), sa.text("id DESC")],
        schema=S,
    )
    op.create_index("ix_dead_letters_task", "dead_letters", ["task_id"], schema=S)


def downgrade() -> None:
    for table in ("dead_letters", "task_label_counts", "task_results", "task_chunks", "tasks"):
        op.drop_table(table, schema=S)
