"""Server interceptor: every RPC but the public ones needs a valid access token.

The caller becomes `principal.current()` for the handler; services scope every query to it.
A service account may send `x-act-as-user: <user id>` with its own token: the handler then
sees that user (role user), with the service account as `actor`.
"""

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import grpc
import structlog

from inferlane.common import principal
from inferlane.common.auth.verify import InvalidToken, TokenVerifier
from inferlane.common.grpc.any_rpc import AnyContext
from inferlane.common.grpc.handlers import Around
from inferlane.common.grpc.interceptors import AroundInterceptor
from inferlane.common.principal import ACT_AS_HEADER, USER, Principal

ALWAYS_PUBLIC_PREFIXES = ("/grpc.health.v1.Health/", "/grpc.reflection.")


def bearer_token(context: AnyContext) -> str | None:
    for key, value in context.invocation_metadata() or ():
        if key == "authorization" and isinstance(value, str) and value[:7].lower() == "bearer ":
            return value[7:].strip()
    return None


def metadata_values(context: AnyContext, name: str) -> list[str]:
    return [v for k, v in context.invocation_metadata() or () if k == name and isinstance(v, str)]


class AuthInterceptor(AroundInterceptor):
    def __init__(
        self,
        verifier: TokenVerifier,
        public_methods: frozenset[str] = frozenset(),
        *,
        allow_acting: bool = True,
    ) -> None:
        self._verifier = verifier
        self._public = public_methods
        self._allow_acting = allow_acting  # off in auth: acting must not reach account RPCs

    def around(self, method: str) -> Around:
        public = method in self._public or method.startswith(ALWAYS_PUBLIC_PREFIXES)

        @asynccontextmanager
        async def scope(context: AnyContext) -> AsyncIterator[None]:
            token = bearer_token(context)
            caller = None
            if token is not None:
                try:
                    caller = await self._verifier.access(token)
                except InvalidToken:
                    if not public:
                        await context.abort(grpc.StatusCode.UNAUTHENTICATED, "invalid access token")
            elif not public:
                await context.abort(grpc.StatusCode.UNAUTHENTICATED, "an access token is required")
            if act_as := metadata_values(context, ACT_AS_HEADER):
                caller = await self._acting(context, caller, act_as)
            principal.bind(caller)
            try:
                yield
            finally:
                principal.bind(None)

        return scope

    async def _acting(
        self, context: AnyContext, caller: Principal | None, act_as: list[str]
    ) -> Principal:
        """The header never widens anyone's reach: only a service account, which owns nothing,
        may send it, and it then gets exactly one user's rights, never an admin's."""
        if caller is None or not caller.is_service:
            await context.abort(
                grpc.StatusCode.PERMISSION_DENIED, "only service accounts may act for a user"
            )
        if not self._allow_acting:
            await context.abort(
                grpc.StatusCode.PERMISSION_DENIED, "this service does not accept acting for a user"
            )
        user_id = _canonical_uuid(act_as)
        if user_id is None:
            await context.abort(
                grpc.StatusCode.INVALID_ARGUMENT, f"{ACT_AS_HEADER} must be one user id (UUID)"
            )
        # Left bound to the end of the RPC (its own task) so that the outer interceptor's
        # rpc log line names the actor too.
        structlog.contextvars.bind_contextvars(actor=caller.user_id, acting_for=user_id)
        # The service's key stays on the caller: acting for a user is not signing in as them.
        return Principal(
            user_id=user_id,
            role=USER,
            token=caller.token,
            actor=caller.user_id,
            api_key_id=caller.api_key_id,
        )


def _canonical_uuid(values: list[str]) -> str | None:
    """The one value in its canonical form (lower-case 8-4-4-4-12), else None."""
    if len(values) != 1:
        return None
    try:
        parsed = uuid.UUID(values[0])
    except ValueError:
        return None
    return str(parsed) if str(parsed) == values[0].lower() else None
