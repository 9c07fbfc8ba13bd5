"""For every process but auth: verify access tokens offline with keys fetched from auth."""

from dataclasses import dataclass

import grpc

from inferlane.common.auth.interceptor import AuthInterceptor
from inferlane.common.auth.jwks import JwksClient
from inferlane.common.auth.verify import TokenVerifier
from inferlane.common.grpc.client import channel
from inferlane.common.settings import CommonSettings


@dataclass
class RemoteKeys:
    verifier: TokenVerifier
    channel: grpc.aio.Channel

    async def close(self) -> None:
        await self.channel.close(None)


def remote_keys(settings: CommonSettings) -> RemoteKeys:
    auth_channel = channel(settings.auth_addr)
    jwks = JwksClient(auth_channel)
    verifier = TokenVerifier(
        jwks.lookup, issuer=settings.jwt_issuer, audience=settings.jwt_audience
    )
    return RemoteKeys(verifier, auth_channel)


def interceptor(keys: RemoteKeys, public_methods: frozenset[str] = frozenset()) -> AuthInterceptor:
    return AuthInterceptor(keys.verifier, public_methods)
