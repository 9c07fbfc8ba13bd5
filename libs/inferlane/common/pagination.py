"""Keyset pagination, one behaviour for every list: `page()` asks for one row more than the
page holds, and hands out a token only when that row exists, so an exactly full last page
ends the list and an empty page never comes with a token. Lists are newest first by
(created_at, id) unless they name another key (a row index, a sequence number)."""

import base64
import json
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, Protocol, TypeVar, overload

from sqlalchemy import ColumnElement, and_, or_, true

from inferlane.common.errors import INVALID_INPUT, InvalidInput

DEFAULT_LIMIT = 20
MAX_LIMIT = 100


def _encode(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()


def _decode(token: str) -> Any:
    return json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))


def _invalid() -> InvalidInput:
    return InvalidInput("page token is not valid", code=INVALID_INPUT)


@dataclass(frozen=True)
class Cursor:
    """The last row of a page keyed by (created_at, id)."""

    created_at: datetime
    id: uuid.UUID

    def encode(self) -> str:
        return _encode([self.created_at.isoformat(), str(self.id)])

    @classmethod
    def decode(cls, token: str) -> "Cursor":
        try:
            created_at, ident = _decode(token)
            return cls(datetime.fromisoformat(created_at), uuid.UUID(ident))
        except (ValueError, TypeError) as exc:
            raise _invalid() from exc


@dataclass(frozen=True)
class Position:
    """The last row of a page keyed by one whole number (a row index, a sequence number)."""

    value: int

    def encode(self) -> str:
        return _encode(self.value)

    @classmethod
    def decode(cls, token: str) -> "Position":
        try:
            value = _decode(token)
        except (ValueError, TypeError) as exc:
            raise _invalid() from exc
        if type(value) is not int:
            raise _invalid()
        return cls(value)


class Created(Protocol):
    """A row listed by the default key."""

    @property
    def created_at(self) -> datetime: ...

    @property
    def id(self) -> uuid.UUID: ...


class Token(Protocol):
    def encode(self) -> str: ...


def by_created(row: Created) -> Cursor:
    return Cursor(row.created_at, row.id)


T = TypeVar("T")
C = TypeVar("C", bound=Created)
K = TypeVar("K", bound=Token)


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next_token: str | None  # None: the list ends with this page


def clamp_limit(requested: int) -> int:
    """0 means 'the default'; anything above the cap is the cap."""
    if requested < 0:
        raise InvalidInput("page size must not be negative", code=INVALID_INPUT)
    return min(requested or DEFAULT_LIMIT, MAX_LIMIT)


@overload
async def page(
    fetch: Callable[[int, Cursor | None], Awaitable[Sequence[C]]],
    page_size: int,
    page_token: str,
) -> Page[C]: ...


@overload
async def page(
    fetch: Callable[[int, K | None], Awaitable[Sequence[T]]],
    page_size: int,
    page_token: str,
    *,
    key: Callable[[T], K],
    decode: Callable[[str], K],
) -> Page[T]: ...


async def page(
    fetch: Callable[[int, Any], Awaitable[Sequence[Any]]],
    page_size: int,
    page_token: str,
    *,
    key: Callable[[Any], Token] = by_created,
    decode: Callable[[str], Any] = Cursor.decode,
) -> Page[Any]:
    """One page: `fetch(n, after)` returns up to n rows that follow `after` (None: from the
    start) in the list's order. The token is checked before anything is fetched."""
    limit = clamp_limit(page_size)
    after = decode(page_token) if page_token else None
    found = await fetch(limit + 1, after)
    items = list(found[:limit])
    return Page(items, key(items[-1]).encode() if len(found) > limit else None)


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
