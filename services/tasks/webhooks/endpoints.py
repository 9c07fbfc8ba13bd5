"""A user's webhook endpoints: register (the secret is shown once), list, get, delete, rotate
the secret, enable again. Another user's endpoint is NotFound, like a missing one."""

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from inferlane.common.clock import utc_now
from inferlane.common.errors import INVALID_INPUT, InvalidInput, NotFound
from inferlane.common.pagination import Cursor, Page, Position, after_cursor, page
from services.tasks.specs import parse_id
from services.tasks.webhooks import egress, signing
from services.tasks.webhooks.tables import attempts, deliveries, endpoints

ACTIVE, DISABLED = "active", "disabled"
MAX_URL_CHARS = 2048
MAX_DESCRIPTION_CHARS = 500


@dataclass(frozen=True)
class Endpoint:
    id: uuid.UUID
    owner_id: uuid.UUID
    url: str
    description: str
    state: str
    disabled_reason: str | None
    created_at: datetime
    secret_rotated_at: datetime


@dataclass(frozen=True)
class Attempt:
    seq: int
    at: datetime
    webhook_id: uuid.UUID
    event_type: str
    task_id: uuid.UUID
    attempt: int
    status_code: int | None
    latency_ms: float
    error: str | None


def _endpoint(row: Row[Any]) -> Endpoint:
    return Endpoint(
        row.id,
        row.owner_id,
        row.url,
        row.description,
        row.state,
        row.disabled_reason,
        row.created_at,
        row.secret_rotated_at,
    )


def check_target(url: str, policy: egress.EgressPolicy) -> None:
    """http(s) only, and no literal private or loopback address unless allow-listed (names
    are resolved and checked again at each delivery)."""
    if not url or len(url) > MAX_URL_CHARS:
        raise InvalidInput(f"url must be 1 to {MAX_URL_CHARS} characters", code=INVALID_INPUT)
    try:
        egress.check_url(url, policy)
    except egress.EgressRefused as exc:
        raise InvalidInput(f"url refused: {exc}", code=INVALID_INPUT) from None


class Endpoints:
    def __init__(self, engine: AsyncEngine, policy: egress.EgressPolicy) -> None:
        self._engine = engine
        self._policy = policy

    async def create(self, owner: uuid.UUID, url: str, description: str) -> tuple[Endpoint, str]:
        check_target(url, self._policy)
        if len(description) > MAX_DESCRIPTION_CHARS:
            raise InvalidInput(
                f"description is over {MAX_DESCRIPTION_CHARS} characters", code=INVALID_INPUT
            )
        key = signing.new_key()
        async with self._engine.begin() as conn:
            row = (
                await conn.execute(
                    insert(endpoints)
                    .values(
                        id=uuid.uuid4(),
                        owner_id=owner,
                        url=url,
                        description=description,
                        secret=key,
                        secret_rotated_at=utc_now(),
                    )
                    .returning(endpoints)
                )
            ).one()
        return _endpoint(row), signing.show(key)

    async def list_owned(self, owner: uuid.UUID, limit: int, page_token: str) -> Page[Endpoint]:
        e = endpoints.c
        async with self._engine.connect() as conn:

            async def fetch(n: int, after: Cursor | None) -> list[Endpoint]:
                stmt = (
                    select(endpoints)
                    .where(e.owner_id == owner, after_cursor(e.created_at, e.id, after))
                    .order_by(e.created_at.desc(), e.id.desc())
                    .limit(n)
                )
                return [_endpoint(r) for r in await conn.execute(stmt)]

            return await page(fetch, limit, page_token)

    async def get(self, owner: uuid.UUID, endpoint_id: str) -> Endpoint:
        async with self._engine.connect() as conn:
            return await _owned(conn, owner, endpoint_id)

    async def delete(self, owner: uuid.UUID, endpoint_id: str) -> None:
        ident = parse_id(endpoint_id, "webhook endpoint")
        e = endpoints.c
        async with self._engine.begin() as conn:
            gone = await conn.execute(
                delete(endpoints).where(e.id == ident, e.owner_id == owner).returning(e.id)
            )
            if gone.first() is None:
                raise NotFound("no such webhook endpoint")

    async def rotate_secret(self, owner: uuid.UUID, endpoint_id: str) -> tuple[Endpoint, str]:
        """Only the new key signs from now on, retries of earlier deliveries included."""
        key = signing.new_key()
        endpoint = await self._change(owner, endpoint_id, secret=key, secret_rotated_at=utc_now())
        return endpoint, signing.show(key)

    async def enable(self, owner: uuid.UUID, endpoint_id: str) -> Endpoint:
        return await self._change(
            owner, endpoint_id, state=ACTIVE, disabled_reason=None, failed_in_a_row=0
        )

    async def attempts(
        self, owner: uuid.UUID, endpoint_id: str, limit: int, page_token: str
    ) -> tuple[Endpoint, Page[Attempt]]:
        """The endpoint's delivery log, newest first, paged by attempt sequence number."""
        a, d = attempts.c, deliveries.c
        async with self._engine.connect() as conn:
            endpoint = await _owned(conn, owner, endpoint_id)

            async def fetch(n: int, before: Position | None) -> list[Attempt]:
                stmt = (
                    select(a.seq, a.at, a.delivery_id, d.event_type, d.task_id, a.attempt)
                    .add_columns(a.status_code, a.latency_ms, a.error)
                    .join(deliveries, d.id == a.delivery_id)
                    .where(a.endpoint_id == endpoint.id)
                    .order_by(a.seq.desc())
                    .limit(n)
                )
                if before is not None:
                    stmt = stmt.where(a.seq < before.value)
                return [Attempt(*r) for r in await conn.execute(stmt)]

            found = await page(
                fetch, limit, page_token, key=lambda t: Position(t.seq), decode=Position.decode
            )
        return endpoint, found

    async def _change(self, owner: uuid.UUID, endpoint_id: str, **values: object) -> Endpoint:
        ident = parse_id(endpoint_id, "webhook endpoint")
        e = endpoints.c
        async with self._engine.begin() as conn:
            row = (
                await conn.execute(
                    update(endpoints)
                    .where(e.id == ident, e.owner_id == owner)
                    .values(**values)
                    .returning(endpoints)
                )
            ).first()
        if row is None:
            raise NotFound("no such webhook endpoint")
        return _endpoint(row)


async def _owned(conn: AsyncConnection, owner: uuid.UUID, endpoint_id: str) -> Endpoint:
    ident = parse_id(endpoint_id, "webhook endpoint")
    e = endpoints.c
    row = (await conn.execute(select(endpoints).where(e.id == ident, e.owner_id == owner))).first()
    if row is None:
        raise NotFound("no such webhook endpoint")
    return _endpoint(row)
