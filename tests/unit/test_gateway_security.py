"""Principal resolution without servers: the caller bound by the dependency reaches the route
and the metadata of outgoing gRPC calls; API-key cache; JWKS cache; CSRF."""

import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import grpc
import httpx
import pytest
from fastapi import FastAPI

from inferlane.auth.v1 import auth_service_pb2 as pb
from inferlane.auth.v1 import auth_types_pb2
from inferlane.common import principal
from inferlane.common.auth.keys import SigningKey
from inferlane.common.auth.verify import TokenVerifier
from inferlane.common.clock import utc_now
from inferlane.common.grpc.client import RequestIdUnaryUnary
from inferlane.common.principal import Principal
from services.auth.tokens import TokenIssuer
from services.gateway import errors
from services.gateway.deps import AdminUser, CurrentUser
from services.gateway.middleware import RequestContextMiddleware
from services.gateway.security import ApiKeyCache, Authenticator, JwksDocument

KEY = SigningKey.generate()
ISSUER = TokenIssuer(
    KEY,
    issuer="inferlane-auth",
    audience="inferlane",
    access_ttl=timedelta(minutes=15),
    refresh_ttl=timedelta(days=1),
)
USER_ID = uuid.uuid4()


async def lookup(kid: str) -> Any:
    return KEY.private.public_key() if kid == KEY.kid else None


class FakeAuth:
    """Stands in for the auth stub: one valid API key, one JWK."""

    SECRET = "ilk_valid"

    def __init__(self) -> None:
        self.api_key_calls = 0
        self.jwks_calls = 0
        self.token = ISSUER.access(USER_ID, "user", utc_now())

    async def AuthenticateApiKey(self, request: Any, timeout: float | None = None) -> Any:
        self.api_key_calls += 1
        if request.api_key != self.SECRET:
            raise grpc.aio.AioRpcError(
                grpc.StatusCode.UNAUTHENTICATED, grpc.aio.Metadata(), grpc.aio.Metadata(), "no"
            )
        return pb.AuthenticateApiKeyResponse(
            user_id=str(USER_ID),
            role=auth_types_pb2.ROLE_USER,
            api_key_id="key-1",
            access_token=self.token,
            expires_in=900,
        )

    async def GetJwks(self, request: Any, timeout: float | None = None) -> Any:
        self.jwks_calls += 1
        return pb.GetJwksResponse(keys=[auth_types_pb2.Jwk(**KEY.jwk)])


async def outgoing_authorization() -> str | None:
    """What the shared channel's interceptor would put on a call made right now."""
    seen: dict[str, Any] = {}

    async def continuation(details: grpc.aio.ClientCallDetails, request: object) -> None:
        seen["metadata"] = details.metadata

    details = grpc.aio.ClientCallDetails("/svc.S/M", None, None, None, None)
    await RequestIdUnaryUnary().intercept_unary_unary(continuation, details, None)
    metadata = seen["metadata"] or grpc.aio.Metadata()
    value = metadata.get("authorization")
    return str(value) if value is not None else None


def app_with(auth: FakeAuth) -> FastAPI:
    app = FastAPI()
    app.add_middleware(RequestContextMiddleware)  # unbinds the caller after each request
    errors.install(app)
    verifier = TokenVerifier(lookup, issuer="inferlane-auth", audience="inferlane")
    app.state.authenticator = Authenticator(verifier, auth)  # type: ignore[arg-type]

    @app.api_route("/probe", methods=["GET", "POST"])
    async def probe(caller: CurrentUser) -> dict[str, Any]:
        return {
            "bound": principal.current_or_none() == caller,
            "authorization": await outgoing_authorization(),
        }

    @app.get("/admin")
    async def admin(caller: AdminUser) -> dict[str, str]:
        return {"role": caller.role}

    return app


@pytest.fixture
async def fake() -> FakeAuth:
    return FakeAuth()


@pytest.fixture
async def client(fake: FakeAuth) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app_with(fake))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        yield c


async def test_bearer_caller_reaches_the_route_and_outgoing_grpc_metadata(
    client: httpx.AsyncClient, fake: FakeAuth
) -> None:
    response = await client.get("/probe", headers={"Authorization": f"Bearer {fake.token}"})
    assert response.json() == {"bound": True, "authorization": f"Bearer {fake.token}"}
    # In-process the request ran in this test's context; the middleware unbound the caller.
    assert principal.current_or_none() is None


async def test_api_key_caller_forwards_the_owner_access_token_not_the_key(
    client: httpx.AsyncClient, fake: FakeAuth
) -> None:
    for headers in ({"X-API-Key": FakeAuth.SECRET}, {"Authorization": f"Bearer {FakeAuth.SECRET}"}):
        response = await client.get("/probe", headers=headers)
        assert response.json() == {"bound": True, "authorization": f"Bearer {fake.token}"}
    assert fake.api_key_calls == 1  # the second request was served from the cache


async def test_cookie_caller_needs_csrf_for_unsafe_methods_only(
    client: httpx.AsyncClient, fake: FakeAuth
) -> None:
    cookies = f"il_access={fake.token}; il_csrf=abc123"
    assert (await client.get("/probe", headers={"Cookie": cookies})).status_code == 200
    refused = await client.post("/probe", headers={"Cookie": cookies})
    assert refused.status_code == 403 and refused.json()["code"] == "csrf"
    wrong = await client.post("/probe", headers={"Cookie": cookies, "X-CSRF-Token": "abc124"})
    assert wrong.status_code == 403
    ok = await client.post("/probe", headers={"Cookie": cookies, "X-CSRF-Token": "abc123"})
    assert ok.status_code == 200 and ok.json()["bound"] is True


async def test_empty_csrf_cookie_and_header_do_not_match(
    client: httpx.AsyncClient, fake: FakeAuth
) -> None:
    response = await client.post(
        "/probe", headers={"Cookie": f"il_access={fake.token}; il_csrf=", "X-CSRF-Token": ""}
    )
    assert response.status_code == 403


@pytest.mark.parametrize(
    ("headers", "challenge"),
    [
        ({}, "Bearer"),
        ({"Authorization": "Bearer x.y.z"}, 'Bearer error="invalid_token"'),
        ({"X-API-Key": "ilk_unknown"}, 'Bearer error="invalid_token"'),
    ],
)
async def test_no_or_bad_credentials_are_401_with_a_challenge(
    client: httpx.AsyncClient, headers: dict[str, str], challenge: str
) -> None:
    response = await client.get("/probe", headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == challenge
    assert response.json()["code"] == "unauthenticated"


async def test_admin_alias_refuses_users(client: httpx.AsyncClient, fake: FakeAuth) -> None:
    response = await client.get("/admin", headers={"Authorization": f"Bearer {fake.token}"})
    assert response.status_code == 403 and response.json()["code"] == "forbidden"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def caller(n: int = 0) -> Principal:
    return Principal(user_id=f"u{n}", role="user", token=f"t{n}")


@pytest.mark.parametrize(("expires_in", "kept"), [(900, 60.0), (60, 30.0), (30, 0.0)])
def test_api_key_cache_keeps_min_of_token_life_minus_30_and_60_seconds(
    expires_in: int, kept: float
) -> None:
    clock = Clock()
    cache = ApiKeyCache(clock=clock)
    cache.put("ilk_a", caller(), "k", expires_in)
    if kept == 0:
        assert cache.get("ilk_a") is None
        return
    clock.now += kept - 0.1
    assert cache.get("ilk_a") == caller()
    clock.now += 0.2
    assert cache.get("ilk_a") is None


def test_api_key_cache_forgets_a_revoked_key_and_stays_bounded() -> None:
    cache = ApiKeyCache(max_entries=2, clock=Clock())
    cache.put("ilk_a", caller(1), "k1", 900)
    cache.put("ilk_b", caller(2), "k2", 900)
    cache.forget("k1")
    assert cache.get("ilk_a") is None and cache.get("ilk_b") == caller(2)
    cache.put("ilk_c", caller(3), "k3", 900)
    cache.put("ilk_d", caller(4), "k4", 900)  # full: the oldest goes
    assert cache.get("ilk_b") is None
    assert cache.get("ilk_c") == caller(3) and cache.get("ilk_d") == caller(4)


async def test_jwks_document_is_fetched_once_per_max_age(fake: FakeAuth) -> None:
    clock = Clock()
    document = JwksDocument(fake, max_age=60, clock=clock)  # type: ignore[arg-type]
    first = await document.get()
    assert first["keys"][0]["kid"] == KEY.kid
    assert "d" not in first["keys"][0]
    clock.now += 59
    await document.get()
    assert fake.jwks_calls == 1
    clock.now += 2
    await document.get()
    assert fake.jwks_calls == 2
