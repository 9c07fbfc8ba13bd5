"""The transactional outbox of the auth schema.

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

from inferlane.common.outbox import create_outbox, drop_outbox

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_outbox("auth")


def downgrade() -> None:
    drop_outbox("auth")
