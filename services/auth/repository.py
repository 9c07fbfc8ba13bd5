"""All SQL of the auth service. Functions take the caller's connection, so the service
decides what shares a transaction."""

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Row, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from inferlane.common.pagination import Cursor, after_cursor
from inferlane.common.principal import SERVICE
from services.auth.domain import ApiKey, User
from services.auth.tables import NO_PASSWORD, api_keys, refresh_tokens, users
from services.auth.tokens import IssuedRefresh

_USER_COLUMNS = (users.c.id, users.c.email, users.c.role, users.c.created_at)


def _user(row: object) -> User:
    return User(row.id, row.email, row.role, row.created_at)  # type: ignore[attr-defined]


async def insert_user(
    conn: AsyncConnection, email: str, password_hash: str, role: str
) -> User | None:
    """None when the email is taken (the unique index decides, not a prior SELECT)."""
    stmt = (
        insert(users)
        .values(id=uuid.uuid4(), email=email, password_hash=password_hash, role=role)
        .on_conflict_do_nothing(index_elements=["email"])
        .returning(*_USER_COLUMNS)
    )
    row = (await conn.execute(stmt)).first()
    return _user(row) if row else None


async def user_with_hash(conn: AsyncConnection, email: str) -> tuple[User, str] | None:
    row = (
        await conn.execute(
            select(*_USER_COLUMNS, users.c.password_hash).where(users.c.email == email)
        )
    ).first()
    return (_user(row), row.password_hash) if row else None


async def get_user(conn: AsyncConnection, user_id: uuid.UUID) -> User | None:
    row = (await conn.execute(select(*_USER_COLUMNS).where(users.c.id == user_id))).first()
    return _user(row) if row else None


async def set_password_hash(conn: AsyncConnection, user_id: uuid.UUID, password_hash: str) -> None:
    await conn.execute(
        update(users).where(users.c.id == user_id).values(password_hash=password_hash)
    )


async def set_role(conn: AsyncConnection, user_id: uuid.UUID, role: str) -> User | None:
    """None when there is no such user, or it is a service account (whose role is fixed)."""
    stmt = (
        update(users)
        .where(users.c.id == user_id, users.c.role != SERVICE)
        .values(role=role)
        .returning(*_USER_COLUMNS)
    )
    row = (await conn.execute(stmt)).first()
    return _user(row) if row else None


async def ensure_service_user(conn: AsyncConnection, email: str) -> User:
    """The account with this email, created as a service account if missing. An existing
    account is returned as it is: the caller checks that it is a service account."""
    await conn.execute(
        insert(users)
        .values(id=uuid.uuid4(), email=email, password_hash=NO_PASSWORD, role=SERVICE)
        .on_conflict_do_nothing(index_elements=["email"])
    )
    row = (await conn.execute(select(*_USER_COLUMNS).where(users.c.email == email))).one()
    return _user(row)


async def list_users(conn: AsyncConnection, limit: int, cursor: Cursor | None) -> list[User]:
    stmt = (
        select(*_USER_COLUMNS)
        .where(after_cursor(users.c.created_at, users.c.id, cursor))
        .order_by(users.c.created_at.desc(), users.c.id.desc())
        .limit(limit)
    )
    return [_user(r) for r in await conn.execute(stmt)]


async def insert_refresh(conn: AsyncConnection, user_id: uuid.UUID, issued: IssuedRefresh) -> None:
    await conn.execute(
        insert(refresh_tokens).values(
            id=issued.jti,
            family_id=issued.family_id,
            user_id=user_id,
            issued_at=issued.issued_at,
            expires_at=issued.expires_at,
        )
    )


async def spend_refresh(conn: AsyncConnection, jti: uuid.UUID, now: datetime) -> uuid.UUID | None:
    """Mark the token spent if, and only if, it is live; returns its family. One winner."""
    stmt = (
        update(refresh_tokens)
        .where(
            refresh_tokens.c.id == jti,
            refresh_tokens.c.spent_at.is_(None),
            refresh_tokens.c.revoked_at.is_(None),
            refresh_tokens.c.expires_at > now,
        )
        .values(spent_at=now)
        .returning(refresh_tokens.c.family_id)
    )
    return (await conn.execute(stmt)).scalar_one_or_none()


async def refresh_state(conn: AsyncConnection, jti: uuid.UUID) -> Row[Any] | None:
    stmt = select(refresh_tokens).where(refresh_tokens.c.id == jti)
    return (await conn.execute(stmt)).first()


async def set_successor(conn: AsyncConnection, jti: uuid.UUID, successor: uuid.UUID) -> None:
    stmt = update(refresh_tokens).where(refresh_tokens.c.id == jti).values(replaced_by=successor)
    await conn.execute(stmt)


async def revoke_family(conn: AsyncConnection, family_id: uuid.UUID, now: datetime) -> int:
    stmt = (
        update(refresh_tokens)
        .where(refresh_tokens.c.family_id == family_id, refresh_tokens.c.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return (await conn.execute(stmt)).rowcount


_KEY_COLUMNS = (
    api_keys.c.id,
    api_keys.c.name,
    api_keys.c.prefix,
    api_keys.c.created_at,
    api_keys.c.last_used_at,
)


def _key(row: object) -> ApiKey:
    return ApiKey(row.id, row.name, row.prefix, row.created_at, row.last_used_at)  # type: ignore[attr-defined]


async def insert_api_key(
    conn: AsyncConnection, user_id: uuid.UUID, name: str, prefix: str, secret_sha256: str
) -> ApiKey:
    stmt = (
        insert(api_keys)
        .values(
            id=uuid.uuid4(), user_id=user_id, name=name, prefix=prefix, secret_sha256=secret_sha256
        )
        .returning(*_KEY_COLUMNS)
    )
    return _key((await conn.execute(stmt)).one())


async def ensure_api_key(
    conn: AsyncConnection, user_id: uuid.UUID, name: str, prefix: str, secret_sha256: str
) -> uuid.UUID | None:
    """The id of user_id's key with this hash: inserted, or the existing one made live again.
    None when the hash is another user's key."""
    stmt = (
        insert(api_keys)
        .values(
            id=uuid.uuid4(), user_id=user_id, name=name, prefix=prefix, secret_sha256=secret_sha256
        )
        .on_conflict_do_update(
            index_elements=["secret_sha256"],
            set_={"revoked_at": None},
            where=api_keys.c.user_id == user_id,
        )
        .returning(api_keys.c.id)
    )
    return (await conn.execute(stmt)).scalar_one_or_none()


async def revoke_other_api_keys(
    conn: AsyncConnection, user_id: uuid.UUID, keep: uuid.UUID, now: datetime
) -> int:
    stmt = (
        update(api_keys)
        .where(
            api_keys.c.user_id == user_id, api_keys.c.id != keep, api_keys.c.revoked_at.is_(None)
        )
        .values(revoked_at=now)
    )
    return (await conn.execute(stmt)).rowcount


async def list_api_keys(
    conn: AsyncConnection, user_id: uuid.UUID, limit: int, cursor: Cursor | None
) -> list[ApiKey]:
    stmt = (
        select(*_KEY_COLUMNS)
        .where(
            api_keys.c.user_id == user_id,
            api_keys.c.revoked_at.is_(None),
            after_cursor(api_keys.c.created_at, api_keys.c.id, cursor),
        )
        .order_by(api_keys.c.created_at.desc(), api_keys.c.id.desc())
        .limit(limit)
    )
    return [_key(r) for r in await conn.execute(stmt)]


async def revoke_api_key(
    conn: AsyncConnection, user_id: uuid.UUID, key_id: uuid.UUID, now: datetime
) -> bool:
    """Only the owner's live key; anyone else's id matches nothing (and so reads as not found)."""
    stmt = (
        update(api_keys)
        .where(
            api_keys.c.id == key_id, api_keys.c.user_id == user_id, api_keys.c.revoked_at.is_(None)
        )
        .values(revoked_at=now)
    )
    return bool((await conn.execute(stmt)).rowcount)


async def use_api_key(
    conn: AsyncConnection, secret_sha256: str, now: datetime
) -> tuple[uuid.UUID, User] | None:
    stmt = (
        update(api_keys)
        .where(api_keys.c.secret_sha256 == secret_sha256, api_keys.c.revoked_at.is_(None))
        .values(last_used_at=now)
        .returning(api_keys.c.id, api_keys.c.user_id)
    )
    row = (await conn.execute(stmt)).first()
    if row is None:
        return None
    user = await get_user(conn, row.user_id)
    return (row.id, user) if user else None


async def count_users(conn: AsyncConnection) -> int:
    return int((await conn.execute(select(func.count()).select_from(users))).scalar_one())
