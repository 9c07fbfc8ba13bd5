"""Server interceptor: every RPC but the public ones needs a valid access token.

The caller becomes `principal.current()` for the handler; services scope every query to it.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import grpc

from inferlane.common.auth import principal
from inferlane.common.auth.verify import InvalidToken, TokenVerifier
from inferlane.common.grpc.handlers import Around
from inferlane.common.grpc.interceptors import AroundInterceptor

ALWAYS_PUBLIC_PREFIXES = ("/grpc.health.v1.Health/", "/grpc.reflection.")


def bearer_token(context: grpc.aio.ServicerContext) -> str | None:
    for key, value in context.invocation_metadata() or ():
        if key == "authorization" and isinstance(value, str) and value[:7].lower() == "bearer ":
            return value[7:].strip()
    return None


class AuthInterceptor(AroundInterceptor):
    def __init__(
        self, verifier: TokenVerifier, public_methods: frozenset[str] = frozenset()
    ) -> None:
        self._verifier = verifier
        self._public = public_methods

    def around(self, method: str) -> Around:
        public = method in self._public or method.startswith(ALWAYS_PUBLIC_PREFIXES)

        @asynccontextmanager
        async def scope(context: grpc.aio.ServicerContext) -> AsyncIterator[None]:
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
            principal.bind(caller)
            try:
                yield
            finally:
                principal.bind(None)

        return scope
