"""A sparse row-offset index per dataset, so reads from a late row seek instead of re-parsing.

Nullable: datasets uploaded before this revision (and JSON arrays) have none and are read from
the top, as before.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("datasets", sa.Column("row_offsets", JSONB), schema="datasets")


def downgrade() -> None:
    op.drop_column("datasets", "row_offsets", schema="datasets")
