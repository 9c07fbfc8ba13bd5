"""Each task's audit trail: an append-only table (a trigger refuses UPDATE and DELETE).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

S = "tasks"


def upgrade() -> None:
    op.create_table(
        "task_audit",
        sa.Column("seq", sa.BigInteger, sa.Identity(always=True), primary_key=True),
        # No foreign key: a trail outlives its task, and a task may still be deleted.
        sa.Column("task_id", UUID(as_uuid=True), nullable=False),
        sa.Column("event", sa.String(32), nullable=False),
        sa.Column(
            "at",
            sa.DateTime(timezone=True),
            nullable=False,
            server_default=sa.func.clock_timestamp(),
        ),
        sa.Column("actor_id", UUID(as_uuid=True)),
        sa.Column("details", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
        schema=S,
    )
    op.create_index("ix_task_audit_task_seq", "task_audit", ["task_id", "seq"], schema=S)
    # Row triggers only: TRUNCATE (a test's clean slate) still works, an edit never does.
    op.execute(
        f"""
        CREATE FUNCTION {S}.task_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          RAISE EXCEPTION 'the task audit trail is append-only';
        END $$;
        CREATE TRIGGER task_audit_append_only BEFORE UPDATE OR DELETE ON {S}.task_audit
          FOR EACH ROW EXECUTE FUNCTION {S}.task_audit_append_only();
        """
    )


def downgrade() -> None:
    op.drop_table("task_audit", schema=S)
    op.execute(f"DROP FUNCTION {S}.task_audit_append_only()")
