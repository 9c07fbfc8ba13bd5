"""Tables of the auth service, all in its own PostgreSQL schema `auth`."""

from sqlalchemy import (
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import UUID

from inferlane.common.outbox import outbox_table

SCHEMA = "auth"
# The password_hash of service accounts: not a hash, so no password verifies against it.
NO_PASSWORD = "!"  # noqa: S105
metadata = MetaData(schema=SCHEMA)

outbox = outbox_table(metadata)

users = Table(
    "users",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("email", String(320), nullable=False, unique=True),  # normalised: trimmed, lower case
    Column("password_hash", Text, nullable=False),
    Column("role", String(16), nullable=False, server_default="user"),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    CheckConstraint("role IN ('user', 'admin', 'service')", name="users_role_known"),
)

# One row per refresh token ever issued; `id` is the token's jti. A token is spent by one
# conditional UPDATE, so concurrent uses have exactly one winner; `replaced_by` is the
# successor the winner got, which the losers of a race get too (within the grace period).
refresh_tokens = Table(
    "refresh_tokens",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("family_id", UUID(as_uuid=True), nullable=False),
    Column(
        "user_id", UUID(as_uuid=True), ForeignKey("users.id", ondelete="CASCADE"), nullable=False
    ),
    Column("issued_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("spent_at", DateTime(timezone=True)),
    Column("revoked_at", DateTime(timezone=True)),
    Column("replaced_by", UUID(as_uuid=True)),
    Index("refresh_tokens_family", "family_id"),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column(
        "user_id", UUID(as_uuid=True), ForeignKey("users.id", ondelete="CASCADE"), nullable=False
    ),
    Column("name", String(100), nullable=False),
    Column("prefix", String(16), nullable=False),  # shown in lists so people can tell keys apart
    Column("secret_sha256", String(64), nullable=False, unique=True),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("last_used_at", DateTime(timezone=True)),
    Column("revoked_at", DateTime(timezone=True)),
    Index("api_keys_owner", "user_id", "created_at", postgresql_where=text("revoked_at IS NULL")),
)

# Failed sign-ins per account ("email:<email>") and per client address ("address:<ip>").
login_throttle = Table(
    "login_throttle",
    metadata,
    Column("key", String(400), primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("window_started_at", DateTime(timezone=True), nullable=False),
    Column("locked_until", DateTime(timezone=True)),
    # Lockouts so far: each one lasts twice as long as the one before (backoff).
    Column("lockouts", Integer, nullable=False, server_default="0"),
)
