"""The Open Inference Protocol (KServe v2 / Triton's `inference.GRPCInferenceService`) as an
authenticated pass-through, so an unmodified `tritonclient` with a bearer token works.

Messages travel as raw bytes (nothing is parsed or re-encoded on the way). Only methods that
read or infer are forwarded; the ones that change the server (loading models, shared memory,
tracing, logging) would let any user reconfigure Triton, so they are refused.
"""

from collections import defaultdict
from collections.abc import Callable
from typing import Any

import grpc
from tritonclient.grpc import service_pb2

from inferlane.common import principal
from inferlane.common.errors import PermissionDenied, TooMany, Unavailable
from inferlane.common.grpc.any_rpc import AnyContext, AnyHandler, GenericRpcHandler

SERVICE_NAME = service_pb2.DESCRIPTOR.services_by_name["GRPCInferenceService"].full_name
FORWARDED = frozenset(
    {
        "ServerLive",
        "ServerReady",
        "ModelReady",
        "ServerMetadata",
        "ModelMetadata",
        "ModelInfer",
        "ModelConfig",
        "ModelStatistics",
        "RepositoryIndex",
    }
)


class UserLimiter:
    """At most `limit` calls in flight per user: one heavy client cannot starve the rest."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._in_flight: dict[str, int] = defaultdict(int)

    def enter(self, user_id: str) -> None:
        if self._in_flight[user_id] >= self._limit:
            raise TooMany(
                f"at most {self._limit} inference calls in flight per user", retry_after=1
            )
        self._in_flight[user_id] += 1

    def leave(self, user_id: str) -> None:
        self._in_flight[user_id] -= 1
        if self._in_flight[user_id] <= 0:
            del self._in_flight[user_id]


class OipPassthrough(GenericRpcHandler):
    def __init__(self, triton_url: str, limiter: UserLimiter, timeout: float) -> None:
        self._channel = grpc.aio.insecure_channel(
            triton_url, options=[("grpc.max_receive_message_length", 64 * 1024 * 1024)]
        )
        self._limiter = limiter
        self._timeout = timeout

    def service(self, handler_call_details: grpc.HandlerCallDetails) -> AnyHandler | None:
        method = handler_call_details.method
        service, _, name = method.lstrip("/").partition("/")
        if service != SERVICE_NAME:
            return None
        if name == "ModelStreamInfer":
            return grpc.stream_stream_rpc_method_handler(
                _refuse("streaming inference is not offered")
            )
        if name not in FORWARDED:
            return grpc.unary_unary_rpc_method_handler(
                _refuse(f"{name} is not available through the platform")
            )
        return grpc.unary_unary_rpc_method_handler(self._forwarder(method))

    def _forwarder(self, method: str) -> Callable[[bytes, Any], Any]:
        # No (de)serialisers: bytes in, bytes out.
        call = self._channel.unary_unary(
            method, request_serializer=None, response_deserializer=None
        )

        async def forward(request: bytes, context: AnyContext) -> bytes:
            user = principal.current().user_id
            self._limiter.enter(user)
            try:
                return await call(request, timeout=self._timeout)
            except grpc.aio.AioRpcError as exc:
                if exc.code() in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED):
                    raise Unavailable("the model server is unavailable") from exc
                await context.abort(exc.code(), exc.details() or "")  # Triton's own answer
                raise
            finally:
                self._limiter.leave(user)

        return forward

    async def close(self) -> None:
        await self._channel.close(None)


def _refuse(message: str) -> Callable[..., Any]:
    async def refuse(request: Any, context: AnyContext) -> Any:
        raise PermissionDenied(message)

    return refuse


def add_to_server(passthrough: OipPassthrough, server: grpc.aio.Server) -> None:
    server.add_generic_rpc_handlers((passthrough,))
