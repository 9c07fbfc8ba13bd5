"""Service accounts over the real auth gRPC API and PostgreSQL: made from configuration on
start, idempotent, re-keyed by changing the configuration; they never sign in with a
password, their role is not an admin's to give or take, and their keys say role service."""

import uuid
from collections.abc import AsyncIterator

import grpc
import jwt
import pytest
from pydantic import SecretStr
from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from inferlane.auth.v1 import auth_service_pb2 as pb
from inferlane.auth.v1 import auth_types_pb2
from inferlane.common.db import make_engine
from services.auth import api_keys as key_secrets
from services.auth import emails
from services.auth.passwords import Passwords
from services.auth.process import build as build_auth
from services.auth.service_accounts import KEY_NAME, ServiceAccountConflict, provision
from services.auth.settings import AuthSettings
from services.auth.tables import api_keys, users
from tests.support.accounts import PASSWORD, Account, auth_stub, bearer, create_account, sign_in
from tests.support.in_process import fast
from tests.support.service_accounts import new_key, remove, unique_name


@pytest.fixture
async def engine(migrated_db: str) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(migrated_db, pool_size=2)
    yield engine
    await engine.dispose()


@pytest.fixture
async def name(migrated_db: str) -> AsyncIterator[str]:
    """A fresh account name; whatever a test makes under it is removed afterwards."""
    name = unique_name()
    yield name
    await remove(migrated_db, name)


@pytest.fixture
async def admin(auth_channel, engine) -> Account:
    account = await create_account(auth_channel)
    async with engine.begin() as conn:
        await conn.execute(
            update(users).where(users.c.id == uuid.UUID(account.user_id)).values(role="admin")
        )
    return await sign_in(auth_channel, account)  # a token that carries the new role


async def provision_one(engine: AsyncEngine, name: str, key: str) -> str:
    [user] = await provision(engine, {name: SecretStr(key)})
    return str(user.id)


async def keys_of(engine: AsyncEngine, user_id: str) -> list:
    async with engine.connect() as conn:
        query = select(api_keys).where(api_keys.c.user_id == uuid.UUID(user_id))
        return list(await conn.execute(query.order_by(api_keys.c.created_at)))


async def code_of(call) -> grpc.StatusCode:
    try:
        await call
    except grpc.aio.AioRpcError as exc:
        return exc.code()
    return grpc.StatusCode.OK


async def authenticate(channel: grpc.aio.Channel, key: str) -> pb.AuthenticateApiKeyResponse:
    return await auth_stub(channel).AuthenticateApiKey(pb.AuthenticateApiKeyRequest(api_key=key))


def role_claim(token: str) -> str:
    return jwt.decode(token, options={"verify_signature": False})["role"]


async def test_provisioning_makes_a_passwordless_service_account_with_the_configured_key(
    engine, name
):
    key = new_key()

    user_id = await provision_one(engine, name, key)

    async with engine.connect() as conn:
        row = (await conn.execute(select(users).where(users.c.id == uuid.UUID(user_id)))).one()
    assert (row.email, row.role) == (f"{name}@service.invalid", "service")
    assert not Passwords().verify(row.password_hash, "!")  # no password of any kind matches
    [stored] = await keys_of(engine, user_id)
    assert stored.secret_sha256 == key_secrets.digest(key)
    assert (stored.name, stored.prefix, stored.revoked_at) == (KEY_NAME, key[:12], None)


async def test_provisioning_again_changes_nothing(engine, name, auth_channel):
    key = new_key()
    first = await provision_one(engine, name, key)
    [before] = await keys_of(engine, first)

    again = await provision_one(engine, name, key)

    assert again == first
    assert await keys_of(engine, first) == [before]
    assert (await authenticate(auth_channel, key)).user_id == first


async def test_a_changed_key_revokes_the_old_one(engine, name, auth_channel):
    old, new = new_key(), new_key()
    user_id = await provision_one(engine, name, old)

    assert await provision_one(engine, name, new) == user_id

    assert await code_of(authenticate(auth_channel, old)) == grpc.StatusCode.UNAUTHENTICATED
    assert (await authenticate(auth_channel, new)).user_id == user_id
    stored = await keys_of(engine, user_id)
    assert [k.secret_sha256 for k in stored] == [key_secrets.digest(old), key_secrets.digest(new)]
    assert stored[0].revoked_at is not None and stored[1].revoked_at is None


async def test_going_back_to_an_earlier_key_makes_it_the_live_one_again(engine, name, auth_channel):
    first, second = new_key(), new_key()
    for key in (first, second, first):
        await provision_one(engine, name, key)

    assert await code_of(authenticate(auth_channel, second)) == grpc.StatusCode.UNAUTHENTICATED
    assert (await authenticate(auth_channel, first)).role == auth_types_pb2.ROLE_SERVICE


async def test_the_auth_process_provisions_on_start_and_its_key_yields_a_service_token(
    migrated_db, nats_url, tmp_path, start_process, name
):
    key = new_key()
    settings = fast(
        AuthSettings,
        database_url=migrated_db,
        nats_url=nats_url,
        signing_key_file=tmp_path / "signing-key.pem",
        service_accounts={name: key},
    )
    first = await start_process(build_auth, settings)
    async with grpc.aio.insecure_channel(first.address) as channel:
        identity = await authenticate(channel, key)
        me = await auth_stub(channel).GetCurrentUser(
            pb.GetCurrentUserRequest(), metadata=bearer(identity.access_token)
        )

    assert identity.role == auth_types_pb2.ROLE_SERVICE
    assert role_claim(identity.access_token) == "service"
    assert identity.expires_in == 15 * 60
    assert (me.user.id, me.user.email) == (identity.user_id, f"{name}@service.invalid")
    assert me.user.role == auth_types_pb2.ROLE_SERVICE

    restarted = await start_process(build_auth, settings)  # the same configuration again
    async with grpc.aio.insecure_channel(restarted.address) as channel:
        assert (await authenticate(channel, key)).user_id == identity.user_id


async def test_a_service_account_never_signs_in_with_a_password(engine, name, auth_channel):
    user_id = await provision_one(engine, name, new_key())
    email = emails.service_account(name)
    login = auth_stub(auth_channel).Login
    assert await code_of(login(pb.LoginRequest(email=email, password="!"))) == (
        grpc.StatusCode.UNAUTHENTICATED
    )
    # Even with a real hash in its row (a hand edit, an old bug), the role keeps it out.
    async with engine.begin() as conn:
        await conn.execute(
            update(users)
            .where(users.c.id == uuid.UUID(user_id))
            .values(password_hash=Passwords().hash(PASSWORD))
        )

    attempt = login(pb.LoginRequest(email=email, password=PASSWORD))

    assert await code_of(attempt) == grpc.StatusCode.UNAUTHENTICATED


async def test_nobody_registers_a_service_address(auth_channel):
    email = emails.service_account(unique_name())

    attempt = auth_stub(auth_channel).Register(pb.RegisterRequest(email=email, password=PASSWORD))

    assert await code_of(attempt) == grpc.StatusCode.INVALID_ARGUMENT


async def test_provisioning_refuses_to_take_over_a_persons_account(engine, name):
    email = emails.service_account(name)
    async with engine.begin() as conn:  # registered before the address was reserved
        await conn.execute(
            insert(users).values(id=uuid.uuid4(), email=email, password_hash="x", role="user")
        )

    with pytest.raises(ServiceAccountConflict):
        await provision_one(engine, name, new_key())

    async with engine.connect() as conn:
        row = (
            await conn.execute(select(users.c.id, users.c.role).where(users.c.email == email))
        ).one()
    assert row.role == "user" and await keys_of(engine, str(row.id)) == []


async def test_provisioning_refuses_a_key_that_is_a_users_api_key(engine, name, auth_channel):
    owner = await create_account(auth_channel)
    created = await auth_stub(auth_channel).CreateApiKey(
        pb.CreateApiKeyRequest(name="mine"), metadata=owner.metadata
    )

    with pytest.raises(ServiceAccountConflict):
        await provision_one(engine, name, created.secret)

    identity = await authenticate(auth_channel, created.secret)
    assert (identity.user_id, identity.role) == (owner.user_id, auth_types_pb2.ROLE_USER)


async def test_a_service_account_cannot_create_api_keys(engine, name, auth_channel):
    key = new_key()
    user_id = await provision_one(engine, name, key)
    token = (await authenticate(auth_channel, key)).access_token

    attempt = auth_stub(auth_channel).CreateApiKey(
        pb.CreateApiKeyRequest(name="extra"), metadata=bearer(token)
    )

    assert await code_of(attempt) == grpc.StatusCode.PERMISSION_DENIED
    assert len(await keys_of(engine, user_id)) == 1


async def test_an_admin_cannot_make_anyone_a_service_account(auth_channel, admin):
    user = await create_account(auth_channel)

    attempt = auth_stub(auth_channel).SetUserRole(
        pb.SetUserRoleRequest(user_id=user.user_id, role=auth_types_pb2.ROLE_SERVICE),
        metadata=admin.metadata,
    )

    assert await code_of(attempt) == grpc.StatusCode.INVALID_ARGUMENT
    me = await auth_stub(auth_channel).GetCurrentUser(
        pb.GetCurrentUserRequest(), metadata=user.metadata
    )
    assert me.user.role == auth_types_pb2.ROLE_USER


@pytest.mark.parametrize("role", [auth_types_pb2.ROLE_USER, auth_types_pb2.ROLE_ADMIN])
async def test_an_admin_cannot_change_a_service_accounts_role(
    engine, name, auth_channel, admin, role
):
    key = new_key()
    user_id = await provision_one(engine, name, key)

    attempt = auth_stub(auth_channel).SetUserRole(
        pb.SetUserRoleRequest(user_id=user_id, role=role), metadata=admin.metadata
    )

    assert await code_of(attempt) == grpc.StatusCode.INVALID_ARGUMENT
    assert (await authenticate(auth_channel, key)).role == auth_types_pb2.ROLE_SERVICE


async def test_admins_see_service_accounts_with_their_role(engine, name, auth_channel, admin):
    user_id = await provision_one(engine, name, new_key())

    page = await auth_stub(auth_channel).ListUsers(
        pb.ListUsersRequest(page_size=100), metadata=admin.metadata
    )

    [listed] = [u for u in page.users if u.id == user_id]
    assert (listed.email, listed.role) == (f"{name}@service.invalid", auth_types_pb2.ROLE_SERVICE)
