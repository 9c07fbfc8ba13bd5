"""All SQL of the datasets service; every query about a dataset is scoped to its owner."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, insert, or_, select, true, update
from sqlalchemy.ext.asyncio import AsyncConnection

from inferlane.common.pagination import Cursor
from services.datasets.domain import Dataset
from services.datasets.tables import datasets, shares


def _dataset(row: Any) -> Dataset:
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
    )


async def insert_dataset(conn: AsyncConnection, values: dict[str, Any]) -> Dataset:
    row = (await conn.execute(insert(datasets).values(**values).returning(*datasets.c))).one()
    return _dataset(row)


async def get_owned(
    conn: AsyncConnection, owner_id: uuid.UUID, dataset_id: uuid.UUID
) -> Dataset | None:
    stmt = select(datasets).where(datasets.c.id == dataset_id, datasets.c.owner_id == owner_id)
    row = (await conn.execute(stmt)).first()
    return _dataset(row) if row else None


async def list_owned(
    conn: AsyncConnection, owner_id: uuid.UUID, limit: int, cursor: Cursor | None
) -> list[Dataset]:
    after = (
        or_(
            datasets.c.created_at < cursor.created_at,
            and_(datasets.c.created_at == cursor.created_at, datasets.c.id < cursor.id),
        )
        if cursor
        else true()
    )
    stmt = (
        select(datasets)
        .where(datasets.c.owner_id == owner_id, after)
        .order_by(datasets.c.created_at.desc(), datasets.c.id.desc())
        .limit(limit)
    )
    return [_dataset(r) for r in await conn.execute(stmt)]


async def delete_owned(
    conn: AsyncConnection, owner_id: uuid.UUID, dataset_id: uuid.UUID
) -> Dataset | None:
    stmt = (
        delete(datasets)
        .where(datasets.c.id == dataset_id, datasets.c.owner_id == owner_id)
        .returning(*datasets.c)
    )
    row = (await conn.execute(stmt)).first()
    return _dataset(row) if row else None


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


async def find_share(conn: AsyncConnection, token_sha256: str) -> tuple[Any, Dataset] | None:
    stmt = (
        select(shares.c.expires_at, shares.c.revoked_at, *datasets.c)
        .join(datasets, datasets.c.id == shares.c.dataset_id)
        .where(shares.c.token_sha256 == token_sha256)
    )
    row = (await conn.execute(stmt)).first()
    return (row, _dataset(row)) if row else None
