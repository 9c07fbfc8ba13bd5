"""Webhook endpoints, one delivery per (event, target), and every delivery attempt.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

S = "tasks"


def _now() -> sa.Column:
    return sa.Column(
        "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
    )


def upgrade() -> None:
    # A task's own callback_url also gets its terminal event (unsigned).
    op.add_column("tasks", sa.Column("callback_url", sa.Text), schema=S)
    op.create_table(
        "webhook_endpoints",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("owner_id", UUID(as_uuid=True), nullable=False),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("description", sa.String(500), nullable=False, server_default=""),
        sa.Column("secret", sa.LargeBinary, nullable=False),
        sa.Column("secret_rotated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(16), nullable=False, server_default="active"),
        sa.Column("disabled_reason", sa.Text),
        # Deliveries in a row that ended failed; a success resets it.
        sa.Column("failed_in_a_row", sa.Integer, nullable=False, server_default="0"),
        _now(),
        schema=S,
    )
    op.create_index(
        "ix_webhook_endpoints_owner", "webhook_endpoints", ["owner_id", "created_at"], schema=S
    )
    op.create_table(
        "webhook_deliveries",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),  # the webhook-id header
        sa.Column("event_id", UUID(as_uuid=True), nullable=False),
        # An endpoint's id, or "callback" for the task's own callback_url.
        sa.Column("target", sa.String(64), nullable=False),
        sa.Column(
            "endpoint_id",
            UUID(as_uuid=True),
            sa.ForeignKey(f"{S}.webhook_endpoints.id", ondelete="CASCADE"),
        ),
        sa.Column("owner_id", UUID(as_uuid=True), nullable=False),
        sa.Column("task_id", UUID(as_uuid=True), nullable=False),
        sa.Column("url", sa.Text, nullable=False),
        sa.Column("event_type", sa.String(32), nullable=False),
        sa.Column("body", sa.LargeBinary, nullable=False),
        sa.Column("state", sa.String(16), nullable=False, server_default="pending"),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        _now(),
        sa.UniqueConstraint("event_id", "target", name="uq_webhook_deliveries_event_target"),
        schema=S,
    )
    op.create_index(
        "ix_webhook_deliveries_due",
        "webhook_deliveries",
        ["next_attempt_at"],
        schema=S,
        postgresql_where=sa.text("state = 'pending'"),
    )
    op.create_table(
        "webhook_attempts",
        sa.Column("seq", sa.BigInteger, sa.Identity(always=True), primary_key=True),
        sa.Column(
            "delivery_id",
            UUID(as_uuid=True),
            sa.ForeignKey(f"{S}.webhook_deliveries.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("endpoint_id", UUID(as_uuid=True)),
        sa.Column("attempt", sa.Integer, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
        sa.Column("status_code", sa.Integer),
        sa.Column("latency_ms", sa.Float, nullable=False),
        sa.Column("error", sa.Text),
        schema=S,
    )
    op.create_index(
        "ix_webhook_attempts_endpoint", "webhook_attempts", ["endpoint_id", "seq"], schema=S
    )


def downgrade() -> None:
    op.drop_table("webhook_attempts", schema=S)
    op.drop_table("webhook_deliveries", schema=S)
    op.drop_table("webhook_endpoints", schema=S)
    op.drop_column("tasks", "callback_url", schema=S)
