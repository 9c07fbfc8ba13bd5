"""The sign-in throttle over the real auth gRPC API and PostgreSQL: failures per account and
client address, and per address, lock that key for a while (twice as long each time), the
lockout says nothing about the account, the owner elsewhere is not locked out, and time (an
injected clock, never a sleep) lifts it."""

import asyncio
import uuid

import grpc
import pytest

from inferlane.auth.v1 import auth_service_pb2 as pb
from services.auth.process import build as build_auth
from services.auth.settings import AuthSettings
from tests.support.accounts import (
    PASSWORD,
    MovableClock,
    auth_stub,
    create_account,
    unique_email,
)
from tests.support.in_process import fast

WRONG = "definitely not the password"
LOCKOUT_SECONDS = 300


@pytest.fixture
async def clock() -> MovableClock:
    return MovableClock()


@pytest.fixture
async def channel(start_process, migrated_db, nats_url, tmp_path, clock):
    """An auth service with the default limits (5 per account, 20 per address) and our clock."""
    settings = fast(
        AuthSettings,
        database_url=migrated_db,
        nats_url=nats_url,
        signing_key_file=tmp_path / "signing-key.pem",
    )
    process = await start_process(lambda s: build_auth(s, clock=clock), settings)
    async with grpc.aio.insecure_channel(process.address) as channel:
        yield channel


def unique_address() -> str:
    """A client address no other test uses (the throttle's state outlives a test)."""
    return f"2001:db8::{uuid.uuid4().hex[:4]}:{uuid.uuid4().hex[:4]}"


async def attempt(
    channel: grpc.aio.Channel, email: str, password: str, address: str = ""
) -> grpc.aio.AioRpcError | None:
    try:
        await auth_stub(channel).Login(
            pb.LoginRequest(email=email, password=password, client_address=address)
        )
    except grpc.aio.AioRpcError as exc:
        return exc
    return None


def retry_after(error: grpc.aio.AioRpcError) -> float:
    values = [v for k, v in error.trailing_metadata() or () if k == "x-retry-after"]
    assert len(values) == 1, error.trailing_metadata()
    return float(values[0])


async def fail_times(channel, email: str, times: int, address: str = "") -> None:
    for _ in range(times):
        error = await attempt(channel, email, WRONG, address)
        assert error is not None and error.code() == grpc.StatusCode.UNAUTHENTICATED


async def test_five_failures_lock_the_account_even_for_the_right_password(channel):
    account = await create_account(channel)
    await fail_times(channel, account.email, 5)

    error = await attempt(channel, account.email, PASSWORD)

    assert error is not None
    assert error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert 0 < retry_after(error) <= LOCKOUT_SECONDS


async def test_guesses_from_one_address_do_not_lock_the_owner_out_from_another(channel):
    account = await create_account(channel)
    attacker, owner = unique_address(), unique_address()
    await fail_times(channel, account.email, 5, attacker)

    refused = await attempt(channel, account.email, PASSWORD, attacker)
    assert refused is not None and refused.code() == grpc.StatusCode.RESOURCE_EXHAUSTED

    assert await attempt(channel, account.email, PASSWORD, owner) is None


async def test_each_lockout_of_a_key_lasts_twice_as_long_as_the_last(channel, clock):
    account = await create_account(channel)
    address = unique_address()
    waits = []
    for _ in range(3):
        await fail_times(channel, account.email, 5, address)
        error = await attempt(channel, account.email, PASSWORD, address)
        assert error is not None and error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        waits.append(retry_after(error))
        clock.advance(seconds=waits[-1] + 1)
    assert waits == [LOCKOUT_SECONDS, 2 * LOCKOUT_SECONDS, 4 * LOCKOUT_SECONDS]
    # The owner's right password ends it, backoff and all.
    assert await attempt(channel, account.email, PASSWORD, address) is None
    await fail_times(channel, account.email, 5, address)
    error = await attempt(channel, account.email, PASSWORD, address)
    assert error is not None and retry_after(error) == LOCKOUT_SECONDS


async def test_four_failures_do_not_lock_and_a_success_clears_them(channel):
    account = await create_account(channel)
    await fail_times(channel, account.email, 4)

    assert await attempt(channel, account.email, PASSWORD) is None
    await fail_times(channel, account.email, 4)  # counted from zero again
    assert await attempt(channel, account.email, PASSWORD) is None


async def test_the_lockout_is_lifted_once_its_time_has_passed(channel, clock):
    account = await create_account(channel)
    await fail_times(channel, account.email, 5)
    clock.advance(seconds=LOCKOUT_SECONDS - 10)
    still = await attempt(channel, account.email, PASSWORD)
    assert still is not None and still.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert 0 < retry_after(still) <= 10

    clock.advance(seconds=11)

    assert await attempt(channel, account.email, PASSWORD) is None


async def test_failures_outside_the_window_are_forgotten(channel, clock):
    account = await create_account(channel)
    await fail_times(channel, account.email, 4)
    clock.advance(minutes=16)  # past the 15-minute window

    await fail_times(channel, account.email, 4)

    assert await attempt(channel, account.email, PASSWORD) is None


async def test_a_locked_account_and_a_locked_unknown_email_read_the_same(channel):
    account = await create_account(channel)
    unknown = unique_email("nobody")
    await fail_times(channel, account.email, 5)
    await fail_times(channel, unknown, 5)

    known_error = await attempt(channel, account.email, PASSWORD)
    unknown_error = await attempt(channel, unknown, PASSWORD)

    assert known_error is not None and unknown_error is not None
    assert known_error.code() == unknown_error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert known_error.details() == unknown_error.details()
    assert retry_after(known_error) == retry_after(unknown_error)
    assert account.email not in known_error.details()


async def test_locking_one_account_leaves_others_alone(channel):
    locked, other = await create_account(channel), await create_account(channel)
    await fail_times(channel, locked.email, 5)

    assert await attempt(channel, other.email, PASSWORD) is None


async def test_twenty_failures_from_one_address_lock_that_address(channel):
    address, elsewhere = unique_address(), unique_address()
    for _ in range(20):  # a different email each time: no account reaches its own limit
        await fail_times(channel, unique_email("spray"), 1, address)
    fresh = await create_account(channel)

    refused = await attempt(channel, fresh.email, PASSWORD, address)

    assert refused is not None
    assert refused.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert 0 < retry_after(refused) <= LOCKOUT_SECONDS
    assert await attempt(channel, fresh.email, PASSWORD, elsewhere) is None
    assert await attempt(channel, fresh.email, PASSWORD) is None  # no address given


async def test_nineteen_failures_from_one_address_do_not_lock_it(channel):
    address = unique_address()
    for _ in range(19):
        await fail_times(channel, unique_email("spray"), 1, address)
    fresh = await create_account(channel)

    assert await attempt(channel, fresh.email, PASSWORD, address) is None


async def test_a_locked_address_is_released_after_the_lockout(channel, clock):
    address = unique_address()
    for _ in range(20):
        await fail_times(channel, unique_email("spray"), 1, address)
    fresh = await create_account(channel)
    clock.advance(seconds=LOCKOUT_SECONDS + 1)

    assert await attempt(channel, fresh.email, PASSWORD, address) is None


async def test_an_address_lockout_reads_the_same_for_known_and_unknown_emails(channel):
    address = unique_address()
    for _ in range(20):
        await fail_times(channel, unique_email("spray"), 1, address)
    known = await create_account(channel)

    known_error = await attempt(channel, known.email, PASSWORD, address)
    unknown_error = await attempt(channel, unique_email("nobody"), PASSWORD, address)

    assert known_error is not None and unknown_error is not None
    assert known_error.code() == unknown_error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert known_error.details() == unknown_error.details()


async def test_concurrent_wrong_passwords_get_no_more_guesses_than_the_limit(channel):
    """A burst must not buy more password checks than the per-account limit allows."""
    account = await create_account(channel)

    errors = await asyncio.gather(
        *(attempt(channel, account.email, f"guess number {i:04d}") for i in range(20))
    )

    codes = [e.code() if e else grpc.StatusCode.OK for e in errors]
    assert codes.count(grpc.StatusCode.UNAUTHENTICATED) <= 5, codes
    assert set(codes) <= {grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.RESOURCE_EXHAUSTED}
