"""Model versions and evaluation: the version a task runs, its label column, and each row's
expected label beside its result.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

S = "tasks"


def upgrade() -> None:
    # Nullable: tasks created before this ran on the only version there was, unrecorded.
    op.add_column("tasks", sa.Column("version", sa.String(32)), schema=S)
    op.add_column("tasks", sa.Column("label_column", sa.String(1024)), schema=S)
    op.add_column("task_results", sa.Column("expected_label", sa.Text()), schema=S)


def downgrade() -> None:
    op.drop_column("task_results", "expected_label", schema=S)
    op.drop_column("tasks", "label_column", schema=S)
    op.drop_column("tasks", "version", schema=S)
