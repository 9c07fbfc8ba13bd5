"""The outbox NOTIFYs on commit, so the relay wakes for rows any process wrote.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06
"""

from inferlane.common.outbox import create_outbox_notify, drop_outbox_notify

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_outbox_notify("auth")


def downgrade() -> None:
    drop_outbox_notify("auth")
