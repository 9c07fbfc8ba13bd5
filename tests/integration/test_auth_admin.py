"""Roles over the real auth gRPC API and PostgreSQL: the first admin comes from the CLI,
never from registration; admin-only RPCs refuse everyone else."""

import uuid
from collections.abc import AsyncIterator

import grpc
import jwt
import pytest

from inferlane.auth.v1 import auth_service_pb2 as pb
from inferlane.auth.v1 import auth_types_pb2
from inferlane.common.errors import InvalidInput
from services.auth import admin
from tests.support.accounts import (
    PASSWORD,
    Account,
    auth_stub,
    create_account,
    sign_in,
    unique_email,
)


async def code_of(call) -> grpc.StatusCode:
    try:
        await call
    except grpc.aio.AioRpcError as exc:
        return exc.code()
    return grpc.StatusCode.OK


def role_claim(token: str) -> str:
    return jwt.decode(token, options={"verify_signature": False})["role"]


@pytest.fixture
def cli_env(monkeypatch, migrated_db, tmp_path) -> None:
    """What `python -m services.auth.admin` reads: the database and a signing key file."""
    monkeypatch.setenv("DATABASE_URL", migrated_db)
    monkeypatch.setenv("AUTH_SIGNING_KEY_FILE", str(tmp_path / "cli-signing-key.pem"))
    monkeypatch.delenv("AUTH_SIGNING_KEY", raising=False)


@pytest.fixture
async def admin_account(auth_channel, cli_env) -> AsyncIterator[Account]:
    """A registered user promoted by the CLI, signed in again afterwards."""
    account = await create_account(auth_channel)
    await admin.promote(account.email, None)
    yield await sign_in(auth_channel, account)


async def test_list_users_as_a_plain_user_is_permission_denied(auth_channel):
    user = await create_account(auth_channel)

    call = auth_stub(auth_channel).ListUsers(pb.ListUsersRequest(), metadata=user.metadata)

    assert await code_of(call) == grpc.StatusCode.PERMISSION_DENIED


async def test_set_user_role_as_a_plain_user_is_permission_denied(auth_channel):
    user = await create_account(auth_channel)

    call = auth_stub(auth_channel).SetUserRole(
        pb.SetUserRoleRequest(user_id=user.user_id, role=auth_types_pb2.ROLE_ADMIN),
        metadata=user.metadata,
    )

    assert await code_of(call) == grpc.StatusCode.PERMISSION_DENIED
    me = await auth_stub(auth_channel).GetCurrentUser(
        pb.GetCurrentUserRequest(), metadata=(await sign_in(auth_channel, user)).metadata
    )
    assert me.user.role == auth_types_pb2.ROLE_USER


async def test_admin_rpcs_without_a_token_are_unauthenticated(auth_channel):
    stub = auth_stub(auth_channel)

    assert await code_of(stub.ListUsers(pb.ListUsersRequest())) == (grpc.StatusCode.UNAUTHENTICATED)
    set_role = stub.SetUserRole(
        pb.SetUserRoleRequest(user_id=str(uuid.uuid4()), role=auth_types_pb2.ROLE_ADMIN)
    )
    assert await code_of(set_role) == grpc.StatusCode.UNAUTHENTICATED


async def test_the_cli_promotes_an_account_whose_new_token_carries_the_admin_role(
    auth_channel, cli_env
):
    account = await create_account(auth_channel)

    message = await admin.promote(f"  {account.email.upper()} ", None)

    assert account.email in message and account.user_id in message
    fresh = await sign_in(auth_channel, account)
    assert role_claim(fresh.access_token) == "admin"
    me = await auth_stub(auth_channel).GetCurrentUser(
        pb.GetCurrentUserRequest(), metadata=fresh.metadata
    )
    assert me.user.role == auth_types_pb2.ROLE_ADMIN


async def test_the_cli_creates_a_missing_account_as_an_admin(auth_channel, cli_env):
    email = unique_email("first-admin")

    await admin.promote(email, PASSWORD)

    pair = (
        await auth_stub(auth_channel).Login(pb.LoginRequest(email=email, password=PASSWORD))
    ).token_pair
    assert role_claim(pair.access_token) == "admin"


async def test_the_cli_without_a_password_does_not_create_an_account(auth_channel, cli_env):
    email = unique_email("nobody")

    with pytest.raises(InvalidInput):
        await admin.promote(email, None)

    call = auth_stub(auth_channel).Login(pb.LoginRequest(email=email, password=PASSWORD))
    assert await code_of(call) == grpc.StatusCode.UNAUTHENTICATED


async def test_an_admin_lists_users_page_by_page_without_duplicates(auth_channel, admin_account):
    for _ in range(2):
        await create_account(auth_channel)
    stub = auth_stub(auth_channel)

    first = await stub.ListUsers(pb.ListUsersRequest(page_size=1), metadata=admin_account.metadata)
    second = await stub.ListUsers(
        pb.ListUsersRequest(page_size=1, page_token=first.next_page_token),
        metadata=admin_account.metadata,
    )

    assert len(first.users) == 1 and len(second.users) == 1
    assert first.next_page_token and second.next_page_token
    assert first.next_page_token != second.next_page_token
    assert first.users[0].id != second.users[0].id
    for user in (*first.users, *second.users):
        assert user.email and user.role != auth_types_pb2.ROLE_UNSPECIFIED
        assert user.HasField("created_at")


async def test_listing_every_user_visits_each_once(auth_channel, admin_account):
    mine = {(await create_account(auth_channel)).user_id for _ in range(3)}
    stub = auth_stub(auth_channel)

    seen, token = [], ""
    while True:
        page = await stub.ListUsers(
            pb.ListUsersRequest(page_size=100, page_token=token), metadata=admin_account.metadata
        )
        seen += [u.id for u in page.users]
        token = page.next_page_token
        if not token:
            break

    assert len(seen) == len(set(seen))
    assert mine | {admin_account.user_id} <= set(seen)


async def test_list_users_is_newest_first_as_the_contract_says(auth_channel, admin_account):
    """auth_service.proto: "ListUsers lists every user, newest first like every list"."""
    older = await create_account(auth_channel)
    newer = await create_account(auth_channel)
    stub = auth_stub(auth_channel)

    listed, token = [], ""
    while True:
        page = await stub.ListUsers(
            pb.ListUsersRequest(page_size=100, page_token=token), metadata=admin_account.metadata
        )
        listed += list(page.users)
        token = page.next_page_token
        if not token:
            break

    ids = [u.id for u in listed]
    assert ids.index(newer.user_id) < ids.index(older.user_id)
    times = [u.created_at.ToDatetime() for u in listed]
    assert times == sorted(times, reverse=True)


async def test_a_bad_page_token_is_invalid_argument(auth_channel, admin_account):
    call = auth_stub(auth_channel).ListUsers(
        pb.ListUsersRequest(page_token="not a token"), metadata=admin_account.metadata
    )

    assert await code_of(call) == grpc.StatusCode.INVALID_ARGUMENT


async def test_an_admin_sets_a_role_that_the_users_next_token_carries(auth_channel, admin_account):
    user = await create_account(auth_channel)
    stub = auth_stub(auth_channel)

    promoted = await stub.SetUserRole(
        pb.SetUserRoleRequest(user_id=user.user_id, role=auth_types_pb2.ROLE_ADMIN),
        metadata=admin_account.metadata,
    )

    assert promoted.user.id == user.user_id
    assert promoted.user.email == user.email
    assert promoted.user.role == auth_types_pb2.ROLE_ADMIN
    assert role_claim((await sign_in(auth_channel, user)).access_token) == "admin"

    demoted = await stub.SetUserRole(
        pb.SetUserRoleRequest(user_id=user.user_id, role=auth_types_pb2.ROLE_USER),
        metadata=admin_account.metadata,
    )

    assert demoted.user.role == auth_types_pb2.ROLE_USER
    again = await sign_in(auth_channel, user)
    assert role_claim(again.access_token) == "user"
    call = stub.ListUsers(pb.ListUsersRequest(), metadata=again.metadata)
    assert await code_of(call) == grpc.StatusCode.PERMISSION_DENIED


@pytest.mark.parametrize("user_id", [str(uuid.uuid4()), "not-a-uuid", ""])
async def test_setting_the_role_of_an_unknown_user_is_not_found(
    auth_channel, admin_account, user_id
):
    call = auth_stub(auth_channel).SetUserRole(
        pb.SetUserRoleRequest(user_id=user_id, role=auth_types_pb2.ROLE_ADMIN),
        metadata=admin_account.metadata,
    )

    assert await code_of(call) == grpc.StatusCode.NOT_FOUND


async def test_setting_an_unspecified_role_is_invalid_argument(auth_channel, admin_account):
    user = await create_account(auth_channel)

    call = auth_stub(auth_channel).SetUserRole(
        pb.SetUserRoleRequest(user_id=user.user_id, role=auth_types_pb2.ROLE_UNSPECIFIED),
        metadata=admin_account.metadata,
    )

    assert await code_of(call) == grpc.StatusCode.INVALID_ARGUMENT


async def test_registering_never_yields_an_admin(auth_channel, admin_account):
    stub = auth_stub(auth_channel)
    email = unique_email()

    registered = await stub.Register(pb.RegisterRequest(email=email, password=PASSWORD))
    pair = (await stub.Login(pb.LoginRequest(email=email, password=PASSWORD))).token_pair

    assert registered.user.role == auth_types_pb2.ROLE_USER
    assert role_claim(pair.access_token) == "user"
    call = stub.ListUsers(
        pb.ListUsersRequest(), metadata=[("authorization", f"Bearer {pair.access_token}")]
    )
    assert await code_of(call) == grpc.StatusCode.PERMISSION_DENIED
    # Registering an admin's address again takes nothing over.
    taken = stub.Register(pb.RegisterRequest(email=admin_account.email, password="x" * 20))
    assert await code_of(taken) == grpc.StatusCode.ALREADY_EXISTS


async def test_an_admins_api_key_authenticates_with_the_admin_role(auth_channel, admin_account):
    stub = auth_stub(auth_channel)
    created = await stub.CreateApiKey(
        pb.CreateApiKeyRequest(name="ops"), metadata=admin_account.metadata
    )

    identity = await stub.AuthenticateApiKey(pb.AuthenticateApiKeyRequest(api_key=created.secret))

    assert identity.role == auth_types_pb2.ROLE_ADMIN
    assert role_claim(identity.access_token) == "admin"
