"""The decisions of the datasets service that need no I/O: row windows, share-link lifetimes
and states, deletion. service.py reads and writes; these say yes, no, or how much."""

from datetime import datetime, timedelta

from inferlane.common.errors import Conflict, Gone, InvalidInput

PREVIEW_ROWS = 20
MAX_ROWS_PAGE = 100
MAX_SHARE = timedelta(days=7)


def preview_page_size(offset: int, limit: int) -> int:
    """A preview page's size: 0 asks for the default, more than the cap gets the cap."""
    if offset < 0 or limit < 0:
        raise InvalidInput("offset and limit must not be negative", code="01")
    return min(limit or PREVIEW_ROWS, MAX_ROWS_PAGE)


def in_stored_preview(offset: int, limit: int, preview_rows: int, rows: int) -> bool:
    """The stored preview answers when it covers the page, or is the whole dataset."""
    return offset + limit <= preview_rows or preview_rows >= rows


def check_row_range(start: int, limit: int | None) -> None:
    if start < 0 or (limit is not None and limit < 0):
        raise InvalidInput("start and limit must not be negative", code="01")


def check_column(column: str | None, columns: list[str]) -> None:
    if column is not None and column not in columns:
        raise InvalidInput(f"the dataset has no column {column!r}", code="01")


def share_lifetime(expires_in_seconds: int) -> timedelta:
    """0 asks for the longest; a share link lives from a second up to seven days."""
    lifetime = timedelta(seconds=expires_in_seconds) if expires_in_seconds else MAX_SHARE
    if lifetime <= timedelta(0) or lifetime > MAX_SHARE:
        raise InvalidInput("expires_in must be between 1 second and 7 days", code="01")
    return lifetime


def check_share_works(revoked_at: datetime | None, expires_at: datetime, now: datetime) -> None:
    """A known link that no longer works is gone (410), not unknown (404)."""
    if revoked_at is not None:
        raise Gone("this share link was revoked")
    if expires_at <= now:
        raise Gone("this share link has expired")


def check_deletable(leased: bool) -> None:
    """A running task reads the file: deleting it under the task would fail the task's rows."""
    if leased:
        raise Conflict("the dataset is used by a running task; cancel it or wait for it")
