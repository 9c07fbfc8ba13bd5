"""API keys over the real auth gRPC API and PostgreSQL: shown once, stored hashed, listed
without secrets, mapped to their owner, revocable only by that owner."""

import hashlib
import uuid
from collections.abc import AsyncIterator

import grpc
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from inferlane.auth.v1 import auth_service_pb2 as pb
from inferlane.auth.v1 import auth_types_pb2
from inferlane.common.db import make_engine
from services.auth.tables import api_keys
from tests.support.accounts import Account, auth_stub, bearer, create_account


@pytest.fixture
async def engine(migrated_db: str) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(migrated_db, pool_size=2)
    yield engine
    await engine.dispose()


async def create_key(
    channel: grpc.aio.Channel, owner: Account, name: str = "ci script"
) -> pb.CreateApiKeyResponse:
    return await auth_stub(channel).CreateApiKey(
        pb.CreateApiKeyRequest(name=name), metadata=owner.metadata
    )


async def list_keys(channel: grpc.aio.Channel, owner: Account) -> list[auth_types_pb2.ApiKey]:
    reply = await auth_stub(channel).ListApiKeys(pb.ListApiKeysRequest(), metadata=owner.metadata)
    return list(reply.api_keys)


async def authenticate(channel: grpc.aio.Channel, secret: str) -> pb.AuthenticateApiKeyResponse:
    return await auth_stub(channel).AuthenticateApiKey(pb.AuthenticateApiKeyRequest(api_key=secret))


async def code_of(call) -> grpc.StatusCode:
    try:
        await call
    except grpc.aio.AioRpcError as exc:
        return exc.code()
    return grpc.StatusCode.OK


async def test_create_api_key_returns_the_secret_once(auth_channel):
    owner = await create_account(auth_channel)

    created = await create_key(auth_channel, owner, "nightly export")

    assert created.secret.startswith("ilk_")
    assert len(created.secret) >= 40
    assert uuid.UUID(created.api_key.id)
    assert created.api_key.name == "nightly export"
    assert created.secret.startswith(created.api_key.prefix)
    assert created.api_key.prefix.startswith("ilk_") and created.api_key.prefix != created.secret
    assert created.api_key.HasField("created_at")
    assert not created.api_key.HasField("last_used_at")


async def test_each_key_gets_its_own_secret(auth_channel):
    owner = await create_account(auth_channel)

    first, second = await create_key(auth_channel, owner), await create_key(auth_channel, owner)

    assert first.secret != second.secret and first.api_key.id != second.api_key.id


async def test_list_api_keys_shows_name_prefix_and_created_at_but_never_the_secret(auth_channel):
    owner = await create_account(auth_channel)
    first = await create_key(auth_channel, owner, "first")
    second = await create_key(auth_channel, owner, "second")

    reply = await auth_stub(auth_channel).ListApiKeys(
        pb.ListApiKeysRequest(), metadata=owner.metadata
    )

    assert [k.id for k in reply.api_keys] == [second.api_key.id, first.api_key.id]  # newest first
    assert [k.name for k in reply.api_keys] == ["second", "first"]
    assert [k.prefix for k in reply.api_keys] == [second.api_key.prefix, first.api_key.prefix]
    assert all(k.HasField("created_at") for k in reply.api_keys)
    raw = reply.SerializeToString()
    for created in (first, second):
        assert created.secret.encode() not in raw
        assert created.secret[len(created.api_key.prefix) :].encode() not in raw


async def test_list_api_keys_shows_only_the_callers_keys(auth_channel):
    owner, other = await create_account(auth_channel), await create_account(auth_channel)
    await create_key(auth_channel, owner)

    assert await list_keys(auth_channel, other) == []


async def test_list_api_keys_pages_without_duplicates(auth_channel):
    owner = await create_account(auth_channel)
    created = [(await create_key(auth_channel, owner, f"k{i}")).api_key.id for i in range(3)]
    stub = auth_stub(auth_channel)

    seen, tokens, token = [], [], ""
    for _ in range(3):
        reply = await stub.ListApiKeys(
            pb.ListApiKeysRequest(page_size=1, page_token=token), metadata=owner.metadata
        )
        seen += [k.id for k in reply.api_keys]
        token = reply.next_page_token
        tokens.append(token)

    assert seen == list(reversed(created))
    # The third page is exactly full and the last: no token sends anyone to an empty page.
    assert tokens[0] and tokens[1] and tokens[2] == ""


async def test_authenticate_api_key_maps_to_the_owner_with_a_working_access_token(auth_channel):
    owner = await create_account(auth_channel)
    created = await create_key(auth_channel, owner)

    identity = await authenticate(auth_channel, created.secret)

    assert identity.user_id == owner.user_id
    assert identity.role == auth_types_pb2.ROLE_USER
    assert identity.api_key_id == created.api_key.id
    assert identity.expires_in == 15 * 60
    me = await auth_stub(auth_channel).GetCurrentUser(
        pb.GetCurrentUserRequest(), metadata=bearer(identity.access_token)
    )
    assert me.user.id == owner.user_id and me.user.email == owner.email


async def test_a_token_from_an_api_key_cannot_manage_api_keys(auth_channel):
    """Else a leaked key could mint a successor and outlive its own revocation."""
    owner = await create_account(auth_channel)
    created = await create_key(auth_channel, owner)
    keyed = bearer((await authenticate(auth_channel, created.secret)).access_token)
    stub = auth_stub(auth_channel)
    calls = [
        stub.CreateApiKey(pb.CreateApiKeyRequest(name="successor"), metadata=keyed),
        stub.ListApiKeys(pb.ListApiKeysRequest(), metadata=keyed),
        stub.RevokeApiKey(pb.RevokeApiKeyRequest(api_key_id=str(uuid.uuid4())), metadata=keyed),
    ]
    for call in calls:
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await call
        assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert [k.id for k in await list_keys(auth_channel, owner)] == [created.api_key.id]


async def test_a_token_from_an_api_key_may_revoke_that_key_only(auth_channel):
    owner = await create_account(auth_channel)
    mine, other = await create_key(auth_channel, owner), await create_key(auth_channel, owner)
    keyed = bearer((await authenticate(auth_channel, mine.secret)).access_token)
    stub = auth_stub(auth_channel)
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.RevokeApiKey(pb.RevokeApiKeyRequest(api_key_id=other.api_key.id), metadata=keyed)
    assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED

    await stub.RevokeApiKey(pb.RevokeApiKeyRequest(api_key_id=mine.api_key.id), metadata=keyed)

    assert [k.id for k in await list_keys(auth_channel, owner)] == [other.api_key.id]


async def test_authenticating_sets_last_used_at(auth_channel):
    owner = await create_account(auth_channel)
    created = await create_key(auth_channel, owner)
    [before] = await list_keys(auth_channel, owner)
    assert not before.HasField("last_used_at")

    await authenticate(auth_channel, created.secret)

    [after] = await list_keys(auth_channel, owner)
    assert after.HasField("last_used_at")
    assert after.last_used_at.ToDatetime() >= after.created_at.ToDatetime()


async def test_a_revoked_key_no_longer_authenticates_or_lists(auth_channel):
    owner = await create_account(auth_channel)
    created = await create_key(auth_channel, owner)
    await authenticate(auth_channel, created.secret)

    await auth_stub(auth_channel).RevokeApiKey(
        pb.RevokeApiKeyRequest(api_key_id=created.api_key.id), metadata=owner.metadata
    )

    assert await code_of(authenticate(auth_channel, created.secret)) == (
        grpc.StatusCode.UNAUTHENTICATED
    )
    assert await list_keys(auth_channel, owner) == []
    again = auth_stub(auth_channel).RevokeApiKey(
        pb.RevokeApiKeyRequest(api_key_id=created.api_key.id), metadata=owner.metadata
    )
    assert await code_of(again) == grpc.StatusCode.NOT_FOUND


async def test_revoking_another_users_key_is_not_found_and_the_key_keeps_working(auth_channel):
    owner, intruder = await create_account(auth_channel), await create_account(auth_channel)
    created = await create_key(auth_channel, owner)

    attempt = auth_stub(auth_channel).RevokeApiKey(
        pb.RevokeApiKeyRequest(api_key_id=created.api_key.id), metadata=intruder.metadata
    )

    assert await code_of(attempt) == grpc.StatusCode.NOT_FOUND
    assert (await authenticate(auth_channel, created.secret)).user_id == owner.user_id
    assert [k.id for k in await list_keys(auth_channel, owner)] == [created.api_key.id]


@pytest.mark.parametrize("key_id", ["", "not-a-uuid", str(uuid.uuid4())])
async def test_revoking_an_unknown_key_is_not_found(auth_channel, key_id):
    owner = await create_account(auth_channel)

    attempt = auth_stub(auth_channel).RevokeApiKey(
        pb.RevokeApiKeyRequest(api_key_id=key_id), metadata=owner.metadata
    )

    assert await code_of(attempt) == grpc.StatusCode.NOT_FOUND


@pytest.mark.parametrize("secret", ["", "garbage", "ilk_", "ilk_" + "A" * 43, "Bearer ilk_garbage"])
async def test_authenticating_a_garbage_key_is_unauthenticated(auth_channel, secret):
    assert await code_of(authenticate(auth_channel, secret)) == grpc.StatusCode.UNAUTHENTICATED


async def test_a_keys_prefix_alone_does_not_authenticate(auth_channel):
    owner = await create_account(auth_channel)
    created = await create_key(auth_channel, owner)

    assert await code_of(authenticate(auth_channel, created.api_key.prefix)) == (
        grpc.StatusCode.UNAUTHENTICATED
    )
    assert await code_of(authenticate(auth_channel, created.secret + "x")) == (
        grpc.StatusCode.UNAUTHENTICATED
    )


async def test_the_database_keeps_a_sha256_of_the_secret_not_the_secret(auth_channel, engine):
    owner = await create_account(auth_channel)
    created = await create_key(auth_channel, owner)

    async with engine.connect() as conn:
        row = (
            await conn.execute(
                select(api_keys).where(api_keys.c.id == uuid.UUID(created.api_key.id))
            )
        ).one()

    assert row.secret_sha256 == hashlib.sha256(created.secret.encode()).hexdigest()
    assert str(row.user_id) == owner.user_id
    assert all(created.secret not in str(value) for value in row)


@pytest.mark.parametrize("name", ["", "   ", "x" * 101])
async def test_an_api_key_needs_a_name_of_1_to_100_characters(auth_channel, name):
    owner = await create_account(auth_channel)

    assert await code_of(create_key(auth_channel, owner, name)) == (
        grpc.StatusCode.INVALID_ARGUMENT
    )


async def test_api_key_management_needs_an_access_token(auth_channel):
    stub = auth_stub(auth_channel)

    for call in (
        stub.CreateApiKey(pb.CreateApiKeyRequest(name="x")),
        stub.ListApiKeys(pb.ListApiKeysRequest()),
        stub.RevokeApiKey(pb.RevokeApiKeyRequest(api_key_id=str(uuid.uuid4()))),
    ):
        assert await code_of(call) == grpc.StatusCode.UNAUTHENTICATED


async def test_an_api_key_secret_is_not_an_access_token(auth_channel):
    owner = await create_account(auth_channel)
    created = await create_key(auth_channel, owner)

    attempt = auth_stub(auth_channel).GetCurrentUser(
        pb.GetCurrentUserRequest(), metadata=bearer(created.secret)
    )

    assert await code_of(attempt) == grpc.StatusCode.UNAUTHENTICATED
