"""Service accounts for tests: provisioned as the auth service does on start (a unique name
each, so tests never fight over one), removed afterwards so they do not pile up in lists."""

import secrets
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import grpc
from pydantic import SecretStr
from sqlalchemy import delete

from inferlane.auth.v1 import auth_service_pb2 as pb
from inferlane.common.db import make_engine
from inferlane.common.principal import ACT_AS_HEADER
from services.auth import emails
from services.auth.service_accounts import provision
from services.auth.tables import users
from tests.support.accounts import auth_stub


@dataclass(frozen=True)
class ServiceAccount:
    name: str
    key: str
    user_id: str

    @property
    def email(self) -> str:
        return emails.service_account(self.name)


def new_key() -> str:
    return "ilk_" + secrets.token_urlsafe(32)


def unique_name() -> str:
    return f"test-{uuid.uuid4().hex[:10]}"


async def remove(database_url: str, name: str) -> None:
    engine = make_engine(database_url, pool_size=1)
    try:
        async with engine.begin() as conn:  # its keys go with it (ON DELETE CASCADE)
            await conn.execute(delete(users).where(users.c.email == emails.service_account(name)))
    finally:
        await engine.dispose()


@asynccontextmanager
async def service_account(database_url: str) -> AsyncIterator[ServiceAccount]:
    name, key = unique_name(), new_key()
    engine = make_engine(database_url, pool_size=1)
    try:
        [user] = await provision(engine, {name: SecretStr(key)})
    finally:
        await engine.dispose()
    try:
        yield ServiceAccount(name, key, str(user.id))
    finally:
        await remove(database_url, name)


async def service_token(channel: grpc.aio.Channel, key: str) -> str:
    reply = await auth_stub(channel).AuthenticateApiKey(pb.AuthenticateApiKeyRequest(api_key=key))
    return reply.access_token


def acting(token: str, user_id: str) -> list[tuple[str, str]]:
    return [("authorization", f"Bearer {token}"), (ACT_AS_HEADER, user_id)]
