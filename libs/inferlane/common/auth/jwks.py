"""Public keys fetched from the auth service's GetJwks, cached, refreshed on an unknown kid."""

import asyncio
import time

import grpc
import structlog
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from google.protobuf.json_format import MessageToDict

from inferlane.auth.v1 import auth_service_pb2, auth_service_pb2_grpc
from inferlane.common.auth.verify import keys_from_jwks

log = structlog.get_logger("inferlane.jwks")


class JwksClient:
    """Verification stays offline: the auth service is asked only at start and on rotation."""

    def __init__(self, channel: grpc.aio.Channel, *, min_refresh_seconds: float = 10.0) -> None:
        self._stub = auth_service_pb2_grpc.AuthServiceStub(channel)
        self._keys: dict[str, Ed25519PublicKey] = {}
        self._fetched_at = -float("inf")
        self._min_refresh = min_refresh_seconds
        self._lock = asyncio.Lock()

    async def lookup(self, kid: str) -> Ed25519PublicKey | None:
        if kid not in self._keys:
            # Shielded: if the RPC that needed the keys is cancelled, the fetch still completes
            # for everyone else instead of leaving no keys until the next allowed refresh.
            await asyncio.shield(asyncio.ensure_future(self._refresh()))
        return self._keys.get(kid)

    async def _refresh(self) -> None:
        async with self._lock:
            # An unknown kid must not turn every bad token into a call to auth.
            if time.monotonic() - self._fetched_at < self._min_refresh:
                return
            # Stamped before the call: a failed fetch waits its turn too, so an auth outage
            # does not turn every request into another GetJwks.
            self._fetched_at = time.monotonic()
            try:
                reply = await self._stub.GetJwks(auth_service_pb2.GetJwksRequest(), timeout=3)
            except grpc.aio.AioRpcError as exc:
                log.warning("jwks fetch failed", code=exc.code().name)
                return
            jwks = [MessageToDict(k, preserving_proto_field_name=True) for k in reply.keys]
            self._keys = keys_from_jwks(jwks)
            log.info("jwks refreshed", kids=sorted(self._keys))
