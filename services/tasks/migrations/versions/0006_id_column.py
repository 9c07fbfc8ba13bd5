"""The caller's own row ids: a batch task's id column, and each result's value of it.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

S = "tasks"


def upgrade() -> None:
    op.add_column("tasks", sa.Column("id_column", sa.String(1024)), schema=S)
    op.add_column("task_results", sa.Column("custom_id", sa.Text()), schema=S)


def downgrade() -> None:
    op.drop_column("task_results", "custom_id", schema=S)
    op.drop_column("tasks", "id_column", schema=S)
