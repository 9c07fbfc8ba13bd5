"""The transactional outbox table every service with events keeps in its own schema.

An event is written in the same transaction as the state change it describes; a relay
publishes it to JetStream with ``Nats-Msg-Id`` = the row id, so a retry is deduplicated.
The row keeps the trace context of the transaction that wrote it (``traceparent``), so the
consumer's work continues the trace of the request that caused it.
"""

import uuid
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import (
    Column,
    DateTime,
    Index,
    Insert,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    func,
    insert,
    literal,
    literal_column,
    select,
    text,
    true,
)
from sqlalchemy.dialects.postgresql import BYTEA, JSONB, UUID
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.sql import FromClause
from sqlalchemy.types import TypeEngine

from inferlane.common import tracing
from inferlane.common.sql_rows import param_rows, row_params


def _columns() -> list[Column[Any]]:
    return [
        Column("id", UUID(as_uuid=True), primary_key=True, default=uuid.uuid4),
        Column("subject", String(255), nullable=False),
        Column("payload", LargeBinary, nullable=False),
        Column("headers", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("published_at", DateTime(timezone=True)),
    ]


def outbox_table(metadata: MetaData) -> Table:
    """The ORM view of the table, in `metadata`'s schema."""
    table = Table("outbox", metadata, *_columns())
    Index("outbox_unpublished", table.c.created_at, postgresql_where=text("published_at IS NULL"))
    return table


def create_outbox(schema: str) -> None:
    """Migration step (revision 0001 of each service): the outbox table and its index."""
    from alembic import op

    op.create_table("outbox", *_columns(), schema=schema)
    op.create_index(
        "outbox_unpublished",
        "outbox",
        ["created_at"],
        schema=schema,
        postgresql_where=text("published_at IS NULL"),
    )


def drop_outbox(schema: str) -> None:
    from alembic import op

    op.drop_index("outbox_unpublished", table_name="outbox", schema=schema)
    op.drop_table("outbox", schema=schema)


def notify_channel(schema: str) -> str:
    """The LISTEN/NOTIFY channel on which `schema`'s outbox says "rows were committed"."""
    return f"{schema}_outbox"


def notify_ddl(schema: str) -> list[str]:
    """A statement-level trigger: an INSERT into the outbox NOTIFYs its channel, delivered at
    commit and never for a rollback (PostgreSQL folds a transaction's repeats into one). The
    relay of every process then wakes at once, whichever process wrote the rows."""
    return [
        f'CREATE FUNCTION "{schema}".outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$'
        f" BEGIN PERFORM pg_notify('{notify_channel(schema)}', ''); RETURN NULL; END $$",
        f'CREATE TRIGGER outbox_notify AFTER INSERT ON "{schema}".outbox'
        f' FOR EACH STATEMENT EXECUTE FUNCTION "{schema}".outbox_notify()',
    ]


def create_outbox_notify(schema: str) -> None:
    """Migration step: the notifying trigger of notify_ddl()."""
    from alembic import op

    for statement in notify_ddl(schema):
        op.execute(statement)


def drop_outbox_notify(schema: str) -> None:
    from alembic import op

    op.execute(f'DROP TRIGGER outbox_notify ON "{schema}".outbox')
    op.execute(f'DROP FUNCTION "{schema}".outbox_notify()')


async def enqueue(
    session_or_connection: AsyncSession | AsyncConnection,
    table: Table,
    subject: str,
    payload: bytes,
    headers: dict[str, str] | None = None,
) -> uuid.UUID:
    """Write one event in the caller's open transaction; the caller commits (or rolls back)
    it together with the state change, so the event exists exactly when the change does.
    The current trace context joins `headers` (the caller's own values win)."""
    event_id = uuid.uuid4()
    headers = {**tracing.inject(), **(headers or {})}
    await session_or_connection.execute(
        insert(table).values(
            id=event_id,
            subject=subject,
            payload=payload,
            headers=headers,
            # now() is the transaction's start, the same for every row in it; the wall clock
            # keeps several events of one transaction in the order they were written.
            created_at=func.clock_timestamp(),
        )
    )
    return event_id


# Bind parameters per statement stay far below PostgreSQL's 65,535 (five per row).
MANY_ROWS_PER_STATEMENT = 1000


async def enqueue_many(
    session_or_connection: AsyncSession | AsyncConnection,
    table: Table,
    events: Sequence[tuple[str, bytes, dict[str, str] | None]],
) -> list[uuid.UUID]:
    """Like `enqueue` for each (subject, payload, headers), in that order, with one multi-row
    INSERT per MANY_ROWS_PER_STATEMENT events instead of one statement per event."""
    ids: list[uuid.UUID] = []
    trace = tracing.inject()
    for start in range(0, len(events), MANY_ROWS_PER_STATEMENT):
        rows = []
        for index, (subject, payload, headers) in enumerate(
            events[start : start + MANY_ROWS_PER_STATEMENT], start
        ):
            event_id = uuid.uuid4()
            ids.append(event_id)
            rows.append(
                {
                    "id": event_id,
                    "subject": subject,
                    "payload": payload,
                    "headers": {**trace, **(headers or {})},
                    # One statement's rows may read the same clock_timestamp(): a microsecond
                    # per event keeps the relay's (created_at, id) order the order given here.
                    "created_at": func.clock_timestamp() + literal(timedelta(microseconds=index)),
                }
            )
        await session_or_connection.execute(insert(table).values(rows))
    return ids


EVENT_COLUMNS: list[tuple[str, TypeEngine[Any]]] = [
    ("id", UUID(as_uuid=True)),
    ("subject", String()),
    ("payload", BYTEA()),
    ("headers", JSONB()),
    ("position", Integer()),
]


def enqueue_with(table: Table, count: int, written: FromClause) -> Insert:
    """`enqueue_many` of `count` events as an INSERT to run in the same statement as the
    change they describe (built once, run with `event_params`): it writes them only if
    `written`, that change as a CTE (an INSERT … RETURNING that may insert nothing) or a
    subquery of one, has a row. One round trip for the change and its events, atomic
    without a transaction."""
    if not 0 < count <= MANY_ROWS_PER_STATEMENT:
        raise ValueError(f"1 to {MANY_ROWS_PER_STATEMENT} events in one statement")
    rows = param_rows("event", EVENT_COLUMNS, count)
    # As in enqueue_many: a microsecond per event keeps the relay's order the order given.
    at = func.clock_timestamp() + rows.c.position * literal_column("interval '1 microsecond'")
    return insert(table).from_select(
        ["id", "subject", "payload", "headers", "created_at"],
        select(rows.c.id, rows.c.subject, rows.c.payload, rows.c.headers, at).select_from(
            written.join(rows, true())
        ),
    )


def event_params(events: Sequence[tuple[str, bytes, dict[str, str] | None]]) -> dict[str, Any]:
    """The parameters of `enqueue_with(table, len(events), …)` for these events, in order."""
    trace = tracing.inject()
    return row_params(
        "event",
        EVENT_COLUMNS,
        [
            (uuid.uuid4(), subject, payload, {**trace, **(headers or {})}, index)
            for index, (subject, payload, headers) in enumerate(events)
        ],
    )
