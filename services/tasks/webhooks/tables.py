"""The webhook tables (migration 0010), in the tasks schema's metadata."""

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Identity,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import UUID

from services.tasks.tables import SCHEMA, metadata

endpoints = Table(
    "webhook_endpoints",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("owner_id", UUID(as_uuid=True), nullable=False),
    Column("url", Text, nullable=False),
    Column("description", String(500), nullable=False, server_default=""),
    Column("secret", LargeBinary, nullable=False),
    Column("secret_rotated_at", DateTime(timezone=True), nullable=False),
    Column("state", String(16), nullable=False, server_default="active"),
    Column("disabled_reason", Text),
    Column("failed_in_a_row", Integer, nullable=False, server_default=text("0")),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("event_id", UUID(as_uuid=True), nullable=False),
    Column("target", String(64), nullable=False),
    Column("endpoint_id", UUID(as_uuid=True), ForeignKey(f"{SCHEMA}.webhook_endpoints.id")),
    Column("owner_id", UUID(as_uuid=True), nullable=False),
    Column("task_id", UUID(as_uuid=True), nullable=False),
    Column("url", Text, nullable=False),
    Column("event_type", String(32), nullable=False),
    Column("body", LargeBinary, nullable=False),
    Column("state", String(16), nullable=False, server_default="pending"),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    UniqueConstraint("event_id", "target", name="uq_webhook_deliveries_event_target"),
)

attempts = Table(
    "webhook_attempts",
    metadata,
    Column("seq", BigInteger, Identity(always=True), primary_key=True),
    Column("delivery_id", UUID(as_uuid=True), ForeignKey(f"{SCHEMA}.webhook_deliveries.id")),
    Column("endpoint_id", UUID(as_uuid=True)),
    Column("attempt", Integer, nullable=False),
    Column("at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("status_code", Integer),
    Column("latency_ms", Float, nullable=False),
    Column("error", Text),
)
