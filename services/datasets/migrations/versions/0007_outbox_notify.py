"""The outbox NOTIFYs on commit, so the relay wakes for rows any process wrote.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06
"""

from inferlane.common.outbox import create_outbox_notify, drop_outbox_notify

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_outbox_notify("datasets")


def downgrade() -> None:
    drop_outbox_notify("datasets")
