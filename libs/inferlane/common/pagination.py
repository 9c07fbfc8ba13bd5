"""Keyset pagination: opaque cursors over (created_at, id), newest first, with a capped limit."""

import base64
import json
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, or_, true

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


def after_cursor(
    created_at: ColumnElement[datetime], ident: ColumnElement[uuid.UUID], cursor: Cursor | None
) -> ColumnElement[bool]:
    """WHERE clause of the page after `cursor` (the last row of the previous page), newest
    first; every row when there is no cursor."""
    if cursor is None:
        return true()
    return or_(
        created_at < cursor.created_at, and_(created_at == cursor.created_at, ident < cursor.id)
    )
