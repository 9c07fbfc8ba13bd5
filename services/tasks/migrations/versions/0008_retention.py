"""Retention: when a task's results go (expires_at), and when they went (expired_at).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

S = "tasks"


def upgrade() -> None:
    # Nullable: tasks from before retention keep their results until someone decides.
    op.add_column("tasks", sa.Column("expires_at", sa.DateTime(timezone=True)), schema=S)
    op.add_column("tasks", sa.Column("expired_at", sa.DateTime(timezone=True)), schema=S)
    op.create_index(
        "ix_tasks_expiring",
        "tasks",
        ["expires_at"],
        schema=S,
        postgresql_where=sa.text("expired_at IS NULL AND expires_at IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_tasks_expiring", table_name="tasks", schema=S)
    op.drop_column("tasks", "expired_at", schema=S)
    op.drop_column("tasks", "expires_at", schema=S)
