"""ServiceCredentials on its own (no I/O): a fake auth stub and a clock the test moves.
The key is exchanged once, reused until 30 s before the token expires, shared by callers
that arrive together, and exchanged again after invalidate()."""

import asyncio
import uuid

import pytest

from inferlane.auth.v1 import auth_service_pb2 as pb
from inferlane.auth.v1 import auth_types_pb2
from inferlane.common.auth.service_credentials import ServiceCredentials

KEY = "ilk_" + "k" * 43
USER = str(uuid.uuid4())


class FakeAuth:
    """Answers AuthenticateApiKey with token-1, token-2, …; `gate` holds the answers back."""

    def __init__(self, expires_in: int = 900) -> None:
        self.expires_in = expires_in
        self.keys: list[str] = []
        self.gate: asyncio.Event | None = None
        self.fail_next = False

    async def AuthenticateApiKey(self, request, timeout=None):
        self.keys.append(request.api_key)
        if self.gate is not None:
            await self.gate.wait()
        if self.fail_next:
            self.fail_next = False
            raise ConnectionError("auth is down")
        return pb.AuthenticateApiKeyResponse(
            user_id=str(uuid.uuid4()),
            role=auth_types_pb2.ROLE_SERVICE,
            access_token=f"token-{len(self.keys)}",
            expires_in=self.expires_in,
        )


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def auth() -> FakeAuth:
    return FakeAuth()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def credentials(auth, clock) -> ServiceCredentials:
    return ServiceCredentials(auth, KEY, clock=clock)  # type: ignore[arg-type]


async def test_metadata_carries_the_token_and_the_user_acted_for(credentials, auth):
    assert await credentials.metadata(USER) == (
        ("authorization", "Bearer token-1"),
        ("x-act-as-user", USER),
    )
    assert auth.keys == [KEY]


async def test_the_token_is_reused_for_every_user(credentials, auth):
    first = await credentials.metadata(USER)
    second = await credentials.metadata(str(uuid.uuid4()))

    assert first[0] == second[0] == ("authorization", "Bearer token-1")
    assert len(auth.keys) == 1


async def test_the_token_is_renewed_30_seconds_before_it_expires(credentials, auth, clock):
    assert await credentials.token() == "token-1"

    clock.now += 900 - 30 - 0.1
    assert await credentials.token() == "token-1"
    clock.now += 0.1
    assert await credentials.token() == "token-2"
    assert len(auth.keys) == 2


async def test_a_token_shorter_lived_than_the_margin_is_never_reused(auth, clock):
    auth.expires_in = 20
    credentials = ServiceCredentials(auth, KEY, clock=clock)  # type: ignore[arg-type]

    assert [await credentials.token() for _ in range(2)] == ["token-1", "token-2"]


async def test_callers_arriving_together_share_one_exchange(credentials, auth):
    auth.gate = asyncio.Event()
    waiting = [asyncio.create_task(credentials.metadata(str(uuid.uuid4()))) for _ in range(10)]
    await asyncio.sleep(0.01)
    auth.gate.set()

    results = await asyncio.gather(*waiting)

    assert len(auth.keys) == 1
    assert {metadata[0] for metadata in results} == {("authorization", "Bearer token-1")}


async def test_invalidate_makes_the_next_call_exchange_the_key_again(credentials, auth):
    await credentials.token()

    credentials.invalidate()

    assert await credentials.token() == "token-2"
    assert await credentials.token() == "token-2"


async def test_a_failed_exchange_is_not_remembered(credentials, auth):
    auth.fail_next = True
    with pytest.raises(ConnectionError):
        await credentials.token()

    assert await credentials.token() == "token-2"
