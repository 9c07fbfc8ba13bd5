"""Who is calling. The one place where credentials become a `Principal`.

- ``Authorization: Bearer <jwt>``: verified here, offline, with the auth service's JWKS.
- ``Authorization: Bearer ilk_…`` or ``X-API-Key: ilk_…``: resolved by the auth service's
  AuthenticateApiKey into a short-lived access token for the key's owner, cached briefly.
- the ``il_access`` cookie: the same JWT check; unsafe methods also need ``X-CSRF-Token``
  equal to the ``il_csrf`` cookie (double submit). Headers cannot be forged cross-site, so
  bearer and API-key requests need no CSRF token.

The caller is then bound with `principal.bind`: the shared gRPC channel adds its access token
to every call made while handling the request, so services see the same caller. That holds
because the dependency below is a coroutine, which FastAPI awaits in the request's own task
and context (a sync dependency would run in a thread and its binding would be lost).
"""

import asyncio
import hashlib
import hmac
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

import grpc
from fastapi import Depends, Request, Security
from fastapi.security import APIKeyCookie, APIKeyHeader, OAuth2PasswordBearer
from google.protobuf.json_format import MessageToDict

from inferlane.auth.v1 import auth_service_pb2, auth_types_pb2
from inferlane.common import principal
from inferlane.common.auth import api_key_shape
from inferlane.common.auth.jwks import JwksClient
from inferlane.common.auth.verify import InvalidToken, TokenVerifier
from inferlane.common.principal import ADMIN, USER, Principal

from .clients import AuthServiceAsyncStub
from .errors import ProblemException
from .settings import GatewaySettings

API_KEY_HEADER = "X-API-Key"
ACCESS_COOKIE = "il_access"
REFRESH_COOKIE = "il_refresh"
CSRF_COOKIE = "il_csrf"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
TOKEN_URL = "/api/v1/auth/token"  # noqa: S105 - a path, not a secret

# Declared as security schemes so /docs can authorize and the OpenAPI document says how.
bearer_scheme = OAuth2PasswordBearer(
    tokenUrl=TOKEN_URL,
    auto_error=False,
    description=(
        "An access token from /auth/token (username = your email; client_id and "
        "client_secret stay empty), or an API key (ilk_…)."
    ),
)
api_key_scheme = APIKeyHeader(name=API_KEY_HEADER, auto_error=False)
cookie_scheme = APIKeyCookie(
    name=ACCESS_COOKIE,
    auto_error=False,
    description=f"Cookie mode; unsafe methods also need the {CSRF_HEADER} header.",
)

_ROLES = {auth_types_pb2.ROLE_USER: USER, auth_types_pb2.ROLE_ADMIN: ADMIN}
RPC_TIMEOUT = 10.0


def unauthenticated(detail: str, *, invalid: bool = False) -> ProblemException:
    challenge = 'Bearer error="invalid_token"' if invalid else "Bearer"
    return ProblemException(401, detail, headers={"WWW-Authenticate": challenge})


@dataclass(frozen=True)
class _CachedKey:
    principal: Principal
    api_key_id: str
    expires_at: float
    generation: int


def always_listening() -> int | None:
    return 0


class ApiKeyCache:
    """sha256(secret) → owner, for min(token lifetime - 30 s, 60 s).

    A key revoked on any replica is forgotten here when its revocation event arrives
    (services/gateway/revocations.py). `generation` says whether such events can arrive: None
    while not subscribed (nothing is served from the cache then), and a new number after each
    reconnect, since events sent in between were missed (entries from before are not served).
    """

    MAX_SECONDS = 60.0
    MARGIN_SECONDS = 30.0

    def __init__(
        self,
        *,
        max_entries: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
        generation: Callable[[], int | None] = always_listening,
    ) -> None:
        self._entries: dict[str, _CachedKey] = {}
        self._max = max_entries
        self._clock = clock
        self.generation = generation

    @staticmethod
    def digest(secret: str) -> str:
        return hashlib.sha256(secret.encode()).hexdigest()

    def get(self, secret: str) -> Principal | None:
        entry = self._entries.get(self.digest(secret))
        if entry is None:
            return None
        if entry.expires_at <= self._clock() or entry.generation != self.generation():
            self._entries.pop(self.digest(secret), None)
            return None
        return entry.principal

    def put(self, secret: str, caller: Principal, api_key_id: str, expires_in: float) -> None:
        seconds = min(expires_in - self.MARGIN_SECONDS, self.MAX_SECONDS)
        generation = self.generation()
        if seconds <= 0 or generation is None:
            return
        now = self._clock()
        if len(self._entries) >= self._max:
            self._entries = {k: v for k, v in self._entries.items() if v.expires_at > now}
            while len(self._entries) >= self._max:  # still full: drop the oldest
                del self._entries[next(iter(self._entries))]
        entry = _CachedKey(caller, api_key_id, now + seconds, generation)
        self._entries[self.digest(secret)] = entry

    def forget(self, api_key_id: str) -> None:
        self._entries = {k: v for k, v in self._entries.items() if v.api_key_id != api_key_id}


class JwksDocument:
    """The public JWK Set for `/.well-known/jwks.json`, fetched from auth and kept briefly."""

    def __init__(
        self,
        stub: AuthServiceAsyncStub,
        *,
        max_age: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._stub = stub
        self.max_age = max_age
        self._clock = clock
        self._document: dict[str, Any] | None = None
        self._fetched_at = 0.0
        self._lock = asyncio.Lock()

    async def get(self) -> dict[str, Any]:
        async with self._lock:  # one fetch when it expires, however many requests wait
            if self._document is None or self._clock() - self._fetched_at >= self.max_age:
                reply = await self._stub.GetJwks(
                    auth_service_pb2.GetJwksRequest(), timeout=RPC_TIMEOUT
                )
                keys = [MessageToDict(k, preserving_proto_field_name=True) for k in reply.keys]
                self._document = {"keys": keys}
                self._fetched_at = self._clock()
            return self._document


class Authenticator:
    """Turns presented credentials into a Principal; built once in the app's lifespan."""

    def __init__(
        self,
        verifier: TokenVerifier,
        stub: AuthServiceAsyncStub,
        api_keys: ApiKeyCache | None = None,
    ) -> None:
        self._verifier = verifier
        self._stub = stub
        self.api_keys = api_keys or ApiKeyCache()

    @classmethod
    def open(cls, auth_channel: grpc.aio.Channel, settings: GatewaySettings) -> "Authenticator":
        verifier = TokenVerifier(
            JwksClient(auth_channel).lookup,
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
        )
        return cls(verifier, AuthServiceAsyncStub(auth_channel))

    async def from_access_token(self, token: str) -> Principal:
        try:
            return await self._verifier.access(token)
        except InvalidToken:
            raise unauthenticated("The access token is invalid or expired.", invalid=True) from None

    async def from_api_key(self, secret: str) -> Principal:
        if (cached := self.api_keys.get(secret)) is not None:
            return cached
        try:
            reply = await self._stub.AuthenticateApiKey(
                auth_service_pb2.AuthenticateApiKeyRequest(api_key=secret), timeout=RPC_TIMEOUT
            )
        except grpc.aio.AioRpcError as exc:
            if exc.code() == grpc.StatusCode.UNAUTHENTICATED:
                raise unauthenticated("The API key is invalid or revoked.", invalid=True) from None
            raise  # unavailable and the like: the error handler makes it a 5xx problem
        role = _ROLES.get(reply.role)
        if role is None:
            raise unauthenticated("The API key is invalid or revoked.", invalid=True)
        caller = Principal(
            user_id=reply.user_id,
            role=role,
            token=reply.access_token,
            api_key_id=reply.api_key_id,
        )
        self.api_keys.put(secret, caller, reply.api_key_id, reply.expires_in)
        return caller

    async def resolve(
        self, request: Request, bearer: str | None, api_key: str | None, cookie: str | None
    ) -> Principal:
        if request.headers.get("authorization") is not None:
            # A header was sent: it decides, even if cookies are present too.
            if not bearer:
                raise unauthenticated("Use the Bearer scheme: Authorization: Bearer <token>.")
            if api_key_shape.is_api_key(bearer):
                return await self.from_api_key(bearer)
            return await self.from_access_token(bearer)
        if api_key is not None:
            return await self.from_api_key(api_key)
        if cookie:
            caller = await self.from_access_token(cookie)
            if request.method not in SAFE_METHODS:
                check_csrf(request)
            return caller
        raise unauthenticated("Sign in first: send a bearer token, an API key or the cookie.")


def check_csrf(request: Request) -> None:
    """Double submit: the header must repeat the il_csrf cookie, which only our own pages
    can read (another site can make the browser send the cookie, not read or copy it)."""
    expected = request.cookies.get(CSRF_COOKIE, "")
    presented = request.headers.get(CSRF_HEADER, "")
    if not (
        expected
        and presented
        and hmac.compare_digest(expected.encode("utf-8"), presented.encode("utf-8"))
    ):
        raise ProblemException(
            403,
            f"Cookie-authenticated {request.method} requests need the {CSRF_HEADER} header "
            f"equal to the {CSRF_COOKIE} cookie.",
            code="csrf",
        )


async def current_user(
    request: Request,
    bearer: str | None = Security(bearer_scheme),
    api_key: str | None = Security(api_key_scheme),
    cookie: str | None = Security(cookie_scheme),
) -> Principal:
    """The caller, bound for the rest of the request so outgoing gRPC calls carry its token."""
    authenticator: Authenticator = request.app.state.authenticator
    caller = await authenticator.resolve(request, bearer, api_key, cookie)
    principal.bind(caller)
    return caller


async def admin_user(caller: Annotated[Principal, Depends(current_user)]) -> Principal:
    if not caller.is_admin:
        raise ProblemException(403, "This needs the admin role.")
    return caller
