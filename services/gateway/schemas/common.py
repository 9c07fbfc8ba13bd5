"""Shapes shared by every resource: pages of a list, conversions from protobuf."""

from datetime import UTC, datetime
from typing import Generic, TypeVar

from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp
from pydantic import BaseModel, Field

# The services' own page limits, re-exported for the routes.
from inferlane.common.pagination import DEFAULT_LIMIT as DEFAULT_LIMIT
from inferlane.common.pagination import MAX_LIMIT as MAX_LIMIT

T = TypeVar("T")

# The largest value of a protobuf int64: a bigger number cannot travel to a service.
INT64_MAX = 2**63 - 1


class Page(BaseModel, Generic[T]):
    """One page of a list; pass `next_cursor` back as `?cursor=` for the next (null: the end)."""

    items: list[T]
    next_cursor: str | None = Field(description="Opaque; null when there are no more items.")


def utc(timestamp: Timestamp) -> datetime:
    return timestamp.ToDatetime(tzinfo=UTC)


def optional_utc(message: Message, field: str) -> datetime | None:
    """A timestamp field that may be unset (message fields have presence in proto3)."""
    return utc(getattr(message, field)) if message.HasField(field) else None
