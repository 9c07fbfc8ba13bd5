"""What the auth service hands out, apart from storage and gRPC."""

import uuid
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class User:
    id: uuid.UUID
    email: str
    role: str
    created_at: datetime


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int
    refresh_expires_in: int
    token_type: str = "bearer"  # noqa: S105 - a scheme name, not a secret


@dataclass(frozen=True)
class ApiKey:
    id: uuid.UUID
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None


@dataclass(frozen=True)
class ApiKeyIdentity:
    """Who an API key stands for, with a short-lived access token for the internal hops."""

    user_id: uuid.UUID
    role: str
    api_key_id: uuid.UUID
    access_token: str
    expires_in: int
