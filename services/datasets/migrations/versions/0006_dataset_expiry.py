"""Opt-in dataset expiry: when the janitor deletes a dataset (DATASETS_TTL_SECONDS).

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

S = "datasets"


def upgrade() -> None:
    op.add_column("datasets", sa.Column("expires_at", sa.DateTime(timezone=True)), schema=S)
    op.create_index(
        "datasets_expiring",
        "datasets",
        ["expires_at"],
        schema=S,
        postgresql_where=sa.text("expires_at IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("datasets_expiring", table_name="datasets", schema=S)
    op.drop_column("datasets", "expires_at", schema=S)
