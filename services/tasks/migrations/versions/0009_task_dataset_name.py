"""A batch task keeps its dataset's name, so lists and pages can say what it ran over.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

S = "tasks"


def upgrade() -> None:
    # Nullable: tasks from before this show their dataset id instead.
    op.add_column("tasks", sa.Column("dataset_name", sa.String(255)), schema=S)


def downgrade() -> None:
    op.drop_column("tasks", "dataset_name", schema=S)
