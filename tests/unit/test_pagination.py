"""The one paging behaviour every list shares: pages of at most `limit` rows, a token only
when another row follows, newest first by (created_at, id), tokens checked before fetching."""

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from inferlane.common.errors import INVALID_INPUT, InvalidInput
from inferlane.common.pagination import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    Cursor,
    Page,
    Position,
    clamp_limit,
    page,
)

T0 = datetime(2026, 12, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Row:
    created_at: datetime
    id: uuid.UUID


def rows(count: int) -> list[Row]:
    """Newest first; every second pair shares a timestamp, so the id breaks the tie."""
    made = [Row(T0 + timedelta(seconds=i // 2), uuid.uuid4()) for i in range(count)]
    return sorted(made, key=lambda r: (r.created_at, r.id), reverse=True)


class Table:
    """An in-memory list that answers `fetch(n, after)` as the repositories do."""

    def __init__(self, stored: list[Row]) -> None:
        self.stored = stored
        self.asked: list[int] = []

    async def fetch(self, n: int, after: Cursor | None) -> list[Row]:
        self.asked.append(n)
        later = [
            r
            for r in self.stored
            if after is None or (r.created_at, r.id) < (after.created_at, after.id)
        ]
        return later[:n]


async def every_page(table: Table, limit: int) -> list[Page[Row]]:
    pages = [await page(table.fetch, limit, "")]
    while pages[-1].next_token is not None:
        pages.append(await page(table.fetch, limit, pages[-1].next_token))
    return pages


async def test_pages_walk_the_list_newest_first_without_gaps_or_repeats():
    stored = rows(7)
    pages = await every_page(Table(stored), 3)
    assert [len(p.items) for p in pages] == [3, 3, 1]
    assert [r for p in pages for r in p.items] == stored


async def test_an_exactly_full_last_page_gets_no_token():
    pages = await every_page(Table(rows(6)), 3)
    assert [len(p.items) for p in pages] == [3, 3]
    assert pages[-1].next_token is None


async def test_an_empty_list_is_one_empty_page_without_a_token():
    assert await page(Table([]).fetch, 5, "") == Page([], None)


async def test_one_row_more_than_the_page_is_asked_for():
    table = Table(rows(2))
    await page(table.fetch, 5, "")
    assert table.asked == [6]


@pytest.mark.parametrize(
    ("requested", "limit"), [(0, DEFAULT_LIMIT), (1, 1), (MAX_LIMIT, MAX_LIMIT), (10**9, MAX_LIMIT)]
)
async def test_the_page_size_is_clamped(requested, limit):
    assert clamp_limit(requested) == limit
    table = Table(rows(MAX_LIMIT + 5))
    assert len((await page(table.fetch, requested, "")).items) == limit


async def test_a_negative_page_size_is_invalid_input():
    with pytest.raises(InvalidInput) as info:
        await page(Table(rows(1)).fetch, -1, "")
    assert info.value.code == INVALID_INPUT


@pytest.mark.parametrize("token", ["garbage!", "bm90IGpzb24", "WzFd", Position(3).encode()])
async def test_a_bad_token_is_invalid_input_and_nothing_is_fetched(token):
    table = Table(rows(3))
    with pytest.raises(InvalidInput) as info:
        await page(table.fetch, 2, token)
    assert info.value.code == INVALID_INPUT and info.value.message == "page token is not valid"
    assert table.asked == []


async def test_lists_keyed_by_a_number_page_the_same_way():
    numbers = list(range(5))

    async def fetch(n: int, after: Position | None) -> list[int]:
        start = 0 if after is None else after.value + 1
        return numbers[start : start + n]

    first = await page(fetch, 2, "", key=Position, decode=Position.decode)
    assert first.items == [0, 1] and first.next_token is not None
    rest = await page(fetch, 3, first.next_token, key=Position, decode=Position.decode)
    assert rest == Page([2, 3, 4], None)
    with pytest.raises(InvalidInput):
        await page(
            fetch, 2, Cursor(T0, uuid.uuid4()).encode(), key=Position, decode=Position.decode
        )


def test_tokens_read_back_as_what_was_written():
    cursor = Cursor(T0, uuid.uuid4())
    assert Cursor.decode(cursor.encode()) == cursor
    assert Position.decode(Position(42).encode()) == Position(42)
