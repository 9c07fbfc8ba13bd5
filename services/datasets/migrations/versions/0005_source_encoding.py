"""The encoding an upload was converted to UTF-8 from (Windows-1252, Latin-1, …).

Nullable: UTF-8 uploads, and every dataset uploaded before this revision, have none.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("datasets", sa.Column("source_encoding", sa.String(32)), schema="datasets")


def downgrade() -> None:
    op.drop_column("datasets", "source_encoding", schema="datasets")
