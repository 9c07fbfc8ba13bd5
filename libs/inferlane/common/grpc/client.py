"""Client side: channels that carry the request id and the caller's token to the next service."""

from typing import Any

import grpc

from inferlane.common import request_id
from inferlane.common.auth import principal


def _with_request_id(details: grpc.aio.ClientCallDetails) -> grpc.aio.ClientCallDetails:
    """Add the current request id, and the current caller's token, unless already set
    (with, for a service account acting for a user, the user it acts for)."""
    rid = request_id.current()
    caller = principal.current_or_none()
    if rid is None and caller is None:
        return details
    metadata = grpc.aio.Metadata(*(details.metadata or ()))
    if rid is not None and request_id.HEADER not in metadata:
        metadata.add(request_id.HEADER, rid)
    if caller is not None and "authorization" not in metadata:
        metadata.add("authorization", f"Bearer {caller.token}")
        if caller.actor is not None:  # the token is the service account's: say for whom
            metadata.add(principal.ACT_AS_HEADER, caller.user_id)
    return grpc.aio.ClientCallDetails(
        details.method, details.timeout, metadata, details.credentials, details.wait_for_ready
    )


class RequestIdUnaryUnary(grpc.aio.UnaryUnaryClientInterceptor):
    async def intercept_unary_unary(self, continuation: Any, details: Any, request: Any) -> Any:
        return await continuation(_with_request_id(details), request)


class RequestIdUnaryStream(grpc.aio.UnaryStreamClientInterceptor):
    async def intercept_unary_stream(self, continuation: Any, details: Any, request: Any) -> Any:
        return await continuation(_with_request_id(details), request)


class RequestIdStreamUnary(grpc.aio.StreamUnaryClientInterceptor):
    async def intercept_stream_unary(self, continuation: Any, details: Any, requests: Any) -> Any:
        return await continuation(_with_request_id(details), requests)


class RequestIdStreamStream(grpc.aio.StreamStreamClientInterceptor):
    async def intercept_stream_stream(self, continuation: Any, details: Any, requests: Any) -> Any:
        return await continuation(_with_request_id(details), requests)


def channel(address: str) -> grpc.aio.Channel:
    """An insecure channel to a peer inside the cluster, propagating the request id."""
    interceptors: list[Any] = [  # grpc-stubs cannot type a mixed interceptor list
        RequestIdUnaryUnary(),
        RequestIdUnaryStream(),
        RequestIdStreamUnary(),
        RequestIdStreamStream(),
    ]
    return grpc.aio.insecure_channel(
        address,
        interceptors=interceptors,
        options=[("grpc.max_receive_message_length", 16 * 1024 * 1024)],
    )
