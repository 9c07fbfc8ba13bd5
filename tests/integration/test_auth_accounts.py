"""Accounts over the real auth gRPC API and PostgreSQL: registration rules, argon2id storage,
rehashing on login, the outbox event, and who the caller is."""

import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import grpc
import pytest
from argon2 import PasswordHasher
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from inferlane.auth.v1 import auth_service_pb2 as pb
from inferlane.auth.v1 import auth_types_pb2
from inferlane.common.db import make_engine
from inferlane.events.v1 import events_pb2
from services.auth.passwords import Passwords
from services.auth.process import auth_service, signing_key
from services.auth.service import AuthService
from services.auth.settings import AuthSettings
from services.auth.tables import outbox, users
from services.auth.throttle import Limits, LoginThrottle
from services.auth.tokens import TokenIssuer
from tests.support.accounts import PASSWORD, auth_stub, bearer, create_account, unique_email
from tests.support.in_process import fast


@pytest.fixture
async def engine(migrated_db: str) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(migrated_db, pool_size=2)
    yield engine
    await engine.dispose()


async def stored_hash(engine: AsyncEngine, email: str) -> str:
    async with engine.connect() as conn:
        query = select(users.c.password_hash).where(users.c.email == email)
        return (await conn.execute(query)).scalar_one()


async def register_error(channel: grpc.aio.Channel, email: str, password: str) -> grpc.StatusCode:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await auth_stub(channel).Register(pb.RegisterRequest(email=email, password=password))
    return caught.value.code()


async def test_register_returns_the_user_with_role_user_and_no_hash(auth_channel):
    email = unique_email()

    reply = await auth_stub(auth_channel).Register(
        pb.RegisterRequest(email=email, password=PASSWORD)
    )

    assert uuid.UUID(reply.user.id)
    assert reply.user.email == email
    assert reply.user.role == auth_types_pb2.ROLE_USER
    assert reply.user.HasField("created_at")
    raw = reply.SerializeToString()
    assert b"argon2" not in raw and PASSWORD.encode() not in raw
    assert {f.name for f, _ in reply.user.ListFields()} == {"id", "email", "role", "created_at"}


async def test_register_normalises_the_email_by_trimming_and_lower_casing(auth_channel):
    local = f"MiXeD-{uuid.uuid4().hex[:8]}"
    stub = auth_stub(auth_channel)

    reply = await stub.Register(
        pb.RegisterRequest(email=f"  {local}@Example.COM \t", password=PASSWORD)
    )

    assert reply.user.email == f"{local.lower()}@example.com"
    # Signing in with any spelling of it finds the same account.
    await stub.Login(pb.LoginRequest(email=f" {local.upper()}@EXAMPLE.com", password=PASSWORD))


async def test_register_with_a_taken_email_is_already_exists(auth_channel):
    email = unique_email()
    await create_account(auth_channel, email)

    assert await register_error(auth_channel, email, "another long password") == (
        grpc.StatusCode.ALREADY_EXISTS
    )


async def test_register_with_a_taken_email_in_other_case_is_already_exists(auth_channel):
    email = unique_email()
    await create_account(auth_channel, email)

    assert await register_error(auth_channel, f" {email.upper()} ", "another long password") == (
        grpc.StatusCode.ALREADY_EXISTS
    )


@pytest.mark.parametrize("password", ["", "short", "elevenchars"])
async def test_register_refuses_a_password_shorter_than_12_characters(auth_channel, password):
    assert await register_error(auth_channel, unique_email(), password) == (
        grpc.StatusCode.INVALID_ARGUMENT
    )


async def test_register_accepts_a_password_of_exactly_12_characters(auth_channel):
    reply = await auth_stub(auth_channel).Register(
        pb.RegisterRequest(email=unique_email(), password="twelve-chars")
    )
    assert reply.user.id


async def test_register_refuses_a_password_equal_to_the_email(auth_channel):
    email = unique_email("long-enough-address")

    assert await register_error(auth_channel, email, email) == grpc.StatusCode.INVALID_ARGUMENT
    assert await register_error(auth_channel, email, email.upper()) == (
        grpc.StatusCode.INVALID_ARGUMENT
    )


@pytest.mark.parametrize(
    "email",
    ["", "not-an-email", "no-domain@", "@no-local.example", "two@@example.com", "a b@example.com"],
)
async def test_register_refuses_a_malformed_email(auth_channel, email):
    assert await register_error(auth_channel, email, PASSWORD) == grpc.StatusCode.INVALID_ARGUMENT


async def test_registration_writes_a_user_registered_event_to_the_outbox(auth_channel, engine):
    email = unique_email()

    user = (
        await auth_stub(auth_channel).Register(pb.RegisterRequest(email=email, password=PASSWORD))
    ).user

    async with engine.connect() as conn:
        rows = (
            await conn.execute(
                select(outbox.c.payload).where(outbox.c.subject == "auth.user.registered")
            )
        ).all()
    events = [events_pb2.UserRegistered.FromString(row.payload) for row in rows]
    [event] = [e for e in events if e.user_id == user.id]
    assert event.email == email
    assert uuid.UUID(event.event_id)
    assert event.occurred_at.ToDatetime() == user.created_at.ToDatetime()


async def test_a_refused_registration_writes_no_event(auth_channel, engine):
    email = unique_email()
    await register_error(auth_channel, email, "short")

    async with engine.connect() as conn:
        rows = (
            await conn.execute(
                select(outbox.c.payload).where(outbox.c.subject == "auth.user.registered")
            )
        ).all()
    assert all(events_pb2.UserRegistered.FromString(r.payload).email != email for r in rows)


async def test_passwords_are_stored_as_argon2id_hashes(auth_channel, engine):
    account = await create_account(auth_channel)

    stored = await stored_hash(engine, account.email)

    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored
    assert PasswordHasher().verify(stored, PASSWORD)


async def test_login_rehashes_a_password_whose_hash_has_old_parameters(
    auth_channel, auth_server, migrated_db, tmp_path, engine
):
    settings = fast(
        AuthSettings, database_url=migrated_db, signing_key_file=tmp_path / "signing-key.pem"
    )
    _, verifier, _ = auth_service(settings, engine)
    cheap = Passwords(PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1))
    limits = Limits(5, timedelta(minutes=15), timedelta(minutes=5))
    old_service = AuthService(
        engine,
        TokenIssuer(
            signing_key(settings),
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
            access_ttl=settings.access_ttl,
            refresh_ttl=settings.refresh_ttl,
        ),
        verifier,
        LoginThrottle(limits, limits),
        passwords=cheap,
    )
    email = unique_email()
    await old_service.register(email, PASSWORD)
    old_hash = await stored_hash(engine, email)
    assert old_hash.startswith("$argon2id$") and "m=8192,t=1,p=1" in old_hash

    await auth_stub(auth_channel).Login(pb.LoginRequest(email=email, password=PASSWORD))

    new_hash = await stored_hash(engine, email)
    assert new_hash != old_hash
    assert new_hash.startswith("$argon2id$")
    assert not PasswordHasher().check_needs_rehash(new_hash)
    assert PasswordHasher().verify(new_hash, PASSWORD)
    # And it still signs in, now without another rehash.
    await auth_stub(auth_channel).Login(pb.LoginRequest(email=email, password=PASSWORD))
    assert await stored_hash(engine, email) == new_hash


async def test_login_does_not_rehash_a_current_hash(auth_channel, engine):
    account = await create_account(auth_channel)
    before = await stored_hash(engine, account.email)

    await auth_stub(auth_channel).Login(pb.LoginRequest(email=account.email, password=PASSWORD))

    assert await stored_hash(engine, account.email) == before


async def test_get_current_user_returns_the_caller(auth_channel):
    account = await create_account(auth_channel)

    reply = await auth_stub(auth_channel).GetCurrentUser(
        pb.GetCurrentUserRequest(), metadata=account.metadata
    )

    assert reply.user.id == account.user_id
    assert reply.user.email == account.email
    assert reply.user.role == auth_types_pb2.ROLE_USER
    assert reply.user.HasField("created_at")


async def test_get_current_user_without_a_token_is_unauthenticated(auth_channel):
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await auth_stub(auth_channel).GetCurrentUser(pb.GetCurrentUserRequest())
    assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED


@pytest.mark.parametrize(
    "metadata",
    [bearer("not-a-jwt"), bearer(""), [("authorization", "Basic dXNlcjpwYXNz")]],
)
async def test_get_current_user_with_an_unusable_credential_is_unauthenticated(
    auth_channel, metadata
):
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await auth_stub(auth_channel).GetCurrentUser(pb.GetCurrentUserRequest(), metadata=metadata)
    assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED
