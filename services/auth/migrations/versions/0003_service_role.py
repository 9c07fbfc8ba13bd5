"""Service accounts: a third role, `service`.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

S = "auth"


def upgrade() -> None:
    op.drop_constraint("users_role_known", "users", schema=S, type_="check")
    op.create_check_constraint(
        "users_role_known", "users", "role IN ('user', 'admin', 'service')", schema=S
    )


def downgrade() -> None:
    # Service accounts only exist by configuration; the next start with it recreates them.
    op.execute("DELETE FROM auth.users WHERE role = 'service'")
    op.drop_constraint("users_role_known", "users", schema=S, type_="check")
    op.create_check_constraint("users_role_known", "users", "role IN ('user', 'admin')", schema=S)
