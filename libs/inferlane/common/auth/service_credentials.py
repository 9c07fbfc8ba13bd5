"""Client side of service accounts: a process with no user request in hand (the tasks
worker) calls other services for a user with its own access token and `x-act-as-user`.

The API key is exchanged for a short-lived access token (AuthenticateApiKey), kept until
shortly before it expires; callers that find it stale at the same time share one exchange.
"""

import asyncio
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import grpc

from inferlane.auth.v1 import auth_service_pb2, auth_service_pb2_grpc
from inferlane.common.principal import ACT_AS_HEADER

if TYPE_CHECKING:
    # Only the stubs know it: on an aio channel, AuthServiceStub's methods are awaitable.
    from inferlane.auth.v1.auth_service_pb2_grpc import AuthServiceAsyncStub
else:
    AuthServiceAsyncStub = auth_service_pb2_grpc.AuthServiceStub

Metadata = tuple[tuple[str, str], ...]


class ServiceCredentials:
    def __init__(
        self,
        auth: AuthServiceAsyncStub | grpc.aio.Channel,
        api_key: str,
        *,
        margin_seconds: float = 30.0,  # a token must outlive the call it is sent with
        timeout_seconds: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._stub = (
            auth_service_pb2_grpc.AuthServiceStub(auth)
            if isinstance(auth, grpc.aio.Channel)
            else auth
        )
        self._api_key = api_key
        self._margin = margin_seconds
        self._timeout = timeout_seconds
        self._clock = clock
        self._token: str | None = None
        self._renew_at = 0.0
        self._lock = asyncio.Lock()

    async def metadata(self, act_as: str) -> Metadata:
        """Call metadata to act for the user `act_as` (a user id)."""
        return (("authorization", f"Bearer {await self.token()}"), (ACT_AS_HEADER, act_as))

    async def token(self) -> str:
        if (token := self._fresh()) is not None:
            return token
        async with self._lock:
            if (token := self._fresh()) is not None:  # another caller renewed it meanwhile
                return token
            reply = await self._stub.AuthenticateApiKey(
                auth_service_pb2.AuthenticateApiKeyRequest(api_key=self._api_key),
                timeout=self._timeout,
            )
            self._token = reply.access_token
            self._renew_at = self._clock() + reply.expires_in - self._margin
            return self._token

    def invalidate(self) -> None:
        """After UNAUTHENTICATED from a call (signing key rotated, account re-keyed): the
        next call exchanges the key again."""
        self._token = None

    def _fresh(self) -> str | None:
        return self._token if self._token is not None and self._clock() < self._renew_at else None
