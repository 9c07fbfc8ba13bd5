"""All SQL of the datasets service; every query about a dataset is scoped to its owner."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection

from inferlane.common.pagination import Cursor, after_cursor
from services.datasets.domain import Dataset
from services.datasets.tables import datasets, shares

# Every column but the row index, which only reads need (and only one checkpoint of it).
COLUMNS = [column for column in datasets.c if column.key != "row_offsets"]


def dataset_of(row: Any) -> Dataset:
    return Dataset(
        row.id,
        row.owner_id,
        row.name,
        row.format,
        row.size_bytes,
        row.sha256,
        row.rows,
        row.columns,
        row.text_column,
        row.preview,
        row.blob_key,
        row.created_at,
        row.expires_at,
        row.source_encoding,
    )


async def insert_dataset(conn: AsyncConnection, values: dict[str, Any]) -> Dataset:
    row = (await conn.execute(insert(datasets).values(**values).returning(*COLUMNS))).one()
    return dataset_of(row)


async def get_owned(
    conn: AsyncConnection, owner_id: uuid.UUID, dataset_id: uuid.UUID
) -> Dataset | None:
    stmt = select(*COLUMNS).where(datasets.c.id == dataset_id, datasets.c.owner_id == owner_id)
    row = (await conn.execute(stmt)).first()
    return dataset_of(row) if row else None


async def list_owned(
    conn: AsyncConnection, owner_id: uuid.UUID, limit: int, cursor: Cursor | None
) -> list[Dataset]:
    after = after_cursor(datasets.c.created_at, datasets.c.id, cursor)
    stmt = (
        select(*COLUMNS)
        .where(datasets.c.owner_id == owner_id, after)
        .order_by(datasets.c.created_at.desc(), datasets.c.id.desc())
        .limit(limit)
    )
    return [dataset_of(r) for r in await conn.execute(stmt)]


async def delete_owned(
    conn: AsyncConnection, owner_id: uuid.UUID, dataset_id: uuid.UUID
) -> Dataset | None:
    stmt = (
        delete(datasets)
        .where(datasets.c.id == dataset_id, datasets.c.owner_id == owner_id)
        .returning(*COLUMNS)
    )
    row = (await conn.execute(stmt)).first()
    return dataset_of(row) if row else None


# Checkpoint k is row k * every, so the one that serves `start` is picked in SQL: a read fetches
# one checkpoint, not the whole list (~1,000 for a million rows). NULL when there is no index.
_ROW_INDEX_NEAR = text(
    """
    SELECT (row_offsets - 'checkpoints') || jsonb_build_object(
        'checkpoints',
        jsonb_build_array(row_offsets -> 'checkpoints' -> CAST(
            CAST(:start AS bigint) / CAST(row_offsets ->> 'every' AS bigint) AS int
        ))
    )
    FROM datasets.datasets WHERE id = :id AND owner_id = :owner
    """
)


async def row_index_near(
    conn: AsyncConnection, owner_id: uuid.UUID, dataset_id: uuid.UUID, start: int
) -> dict[str, Any] | None:
    """The dataset's stored row index, holding only the checkpoint for row `start` (if any)."""
    values = {"id": dataset_id, "owner": owner_id, "start": start}
    return (await conn.execute(_ROW_INDEX_NEAR, values)).scalar_one_or_none()


async def insert_share(
    conn: AsyncConnection,
    share_id: uuid.UUID,
    dataset: Dataset,
    token_sha256: str,
    expires_at: datetime,
) -> None:
    await conn.execute(
        insert(shares).values(
            id=share_id,
            dataset_id=dataset.id,
            owner_id=dataset.owner_id,
            token_sha256=token_sha256,
            expires_at=expires_at,
        )
    )


async def revoke_share(
    conn: AsyncConnection,
    owner_id: uuid.UUID,
    dataset_id: uuid.UUID,
    share_id: uuid.UUID,
    now: datetime,
) -> bool:
    stmt = (
        update(shares)
        .where(
            shares.c.id == share_id,
            shares.c.dataset_id == dataset_id,
            shares.c.owner_id == owner_id,
            shares.c.revoked_at.is_(None),
        )
        .values(revoked_at=now)
    )
    return bool((await conn.execute(stmt)).rowcount)


async def working_shares(
    conn: AsyncConnection, owner_id: uuid.UUID, dataset_id: uuid.UUID, now: datetime
) -> list[Any]:
    """(id, expires_at) of the links that still open the dataset, newest first."""
    stmt = (
        select(shares.c.id, shares.c.expires_at)
        .where(
            shares.c.dataset_id == dataset_id,
            shares.c.owner_id == owner_id,
            shares.c.revoked_at.is_(None),
            shares.c.expires_at > now,
        )
        .order_by(shares.c.created_at.desc(), shares.c.id)
    )
    return list((await conn.execute(stmt)).all())


async def find_share(conn: AsyncConnection, token_sha256: str) -> tuple[Any, Dataset] | None:
    stmt = (
        # Labelled: datasets have an expires_at of their own, which the bare name would shadow.
        select(shares.c.expires_at.label("share_expires_at"), shares.c.revoked_at, *COLUMNS)
        .join(datasets, datasets.c.id == shares.c.dataset_id)
        .where(shares.c.token_sha256 == token_sha256)
    )
    row = (await conn.execute(stmt)).first()
    return (row, dataset_of(row)) if row else None
