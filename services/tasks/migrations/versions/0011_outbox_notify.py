"""The outbox NOTIFYs on commit, so the relay wakes for rows any process wrote.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06
"""

from inferlane.common.outbox import create_outbox_notify, drop_outbox_notify

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_outbox_notify("tasks")


def downgrade() -> None:
    drop_outbox_notify("tasks")
