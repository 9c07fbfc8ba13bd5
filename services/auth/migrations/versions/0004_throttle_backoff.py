"""Sign-in throttle backoff: how many lockouts a key has had, so each lasts twice as long.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

S = "auth"


def upgrade() -> None:
    # Keys were per account; they are per account and address now: old counts mean nothing.
    op.execute("DELETE FROM auth.login_throttle")
    op.add_column(
        "login_throttle",
        sa.Column("lockouts", sa.Integer(), nullable=False, server_default="0"),
        schema=S,
    )


def downgrade() -> None:
    op.drop_column("login_throttle", "lockouts", schema=S)
    op.execute("DELETE FROM auth.login_throttle")
