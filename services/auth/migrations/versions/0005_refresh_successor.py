"""Refresh tokens remember their successor, so a refresh race can hand the same one to all.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

S = "auth"


def upgrade() -> None:
    op.add_column(
        "refresh_tokens", sa.Column("replaced_by", UUID(as_uuid=True), nullable=True), schema=S
    )


def downgrade() -> None:
    op.drop_column("refresh_tokens", "replaced_by", schema=S)
