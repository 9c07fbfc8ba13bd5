"""Keyset pagination: opaque cursors over (created_at, id), newest first, with a capped limit."""

import base64
import json
import uuid
from dataclasses import dataclass
from datetime import datetime

from inferlane.common.errors import InvalidInput

DEFAULT_LIMIT = 20
MAX_LIMIT = 100


@dataclass(frozen=True)
class Cursor:
    created_at: datetime
    id: uuid.UUID

    def encode(self) -> str:
        raw = json.dumps([self.created_at.isoformat(), str(self.id)]).encode()
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    @classmethod
    def decode(cls, token: str) -> "Cursor":
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
            created_at, ident = json.loads(raw)
            return cls(datetime.fromisoformat(created_at), uuid.UUID(ident))
        except (ValueError, TypeError) as exc:
            raise InvalidInput("page token is not valid", code="01") from exc


def clamp_limit(requested: int) -> int:
    """0 means 'the default'; anything above the cap is the cap."""
    if requested < 0:
        raise InvalidInput("page size must not be negative", code="01")
    return min(requested or DEFAULT_LIMIT, MAX_LIMIT)
