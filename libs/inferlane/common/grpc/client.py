"""Client side: channels that carry the request id, the caller's token and the trace context
to the next service, with a client span per call."""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import grpc
from opentelemetry.trace import Span, SpanKind, Status, StatusCode

from inferlane.common import principal, request_id, tracing
from inferlane.common.grpc import any_rpc

# The program behind the request (the gateway passes on its caller's User-Agent), for audit
# trails; bound per request like the request id.
CLIENT_HEADER = "x-inferlane-client"
_client: ContextVar[str | None] = ContextVar("client", default=None)


def bind_client(user_agent: str | None) -> None:
    _client.set(user_agent[:200] if user_agent else None)


def _outgoing(details: grpc.aio.ClientCallDetails) -> grpc.aio.ClientCallDetails:
    """Add the current request id, the current caller's token (with, for a service account
    acting for a user, the user it acts for) and the current span, unless already set."""
    rid = request_id.current()
    caller = principal.current_or_none()
    trace_headers = tracing.inject()
    client = _client.get()
    if rid is None and caller is None and not trace_headers and client is None:
        return details
    metadata = grpc.aio.Metadata(*(details.metadata or ()))
    if client is not None and CLIENT_HEADER not in metadata:
        metadata.add(CLIENT_HEADER, client)
    if rid is not None and request_id.HEADER not in metadata:
        metadata.add(request_id.HEADER, rid)
    if caller is not None and "authorization" not in metadata:
        metadata.add("authorization", f"Bearer {caller.token}")
        if caller.actor is not None:  # the token is the service account's: say for whom
            metadata.add(principal.ACT_AS_HEADER, caller.user_id)
    for key, value in trace_headers.items():
        if key not in metadata:
            metadata.add(key, value)
    return grpc.aio.ClientCallDetails(
        details.method, details.timeout, metadata, details.credentials, details.wait_for_ready
    )


def _method(details: grpc.aio.ClientCallDetails) -> str:
    method: Any = details.method
    return (method.decode() if isinstance(method, bytes) else str(method)).lstrip("/")


@contextmanager
def _client_span(details: grpc.aio.ClientCallDetails, *, end: bool = True) -> Iterator[Span]:
    name = _method(details)
    service, _, rpc = name.partition("/")
    with tracing.tracer().start_as_current_span(
        name,
        kind=SpanKind.CLIENT,
        attributes={"rpc.system": "grpc", "rpc.service": service, "rpc.method": rpc},
        end_on_exit=end,
    ) as span:
        yield span


def _record(span: Span, code: grpc.StatusCode) -> None:
    span.set_attribute("rpc.grpc.status_code", code.value[0])
    if code is not grpc.StatusCode.OK:
        span.set_status(Status(StatusCode.ERROR, code.name))


def _end_when_done(span: Span, call: Any) -> None:
    """A streaming call's span lasts until the stream ends."""
    if not span.is_recording():
        return
    call.add_done_callback(lambda _call: span.end())


# Named for what they first carried; each also opens the call's client span.
class RequestIdUnaryUnary(any_rpc.UnaryUnaryClientInterceptor):
    async def intercept_unary_unary(self, continuation: Any, details: Any, request: Any) -> Any:
        with _client_span(details) as span:
            call = await continuation(_outgoing(details), request)
            if span.is_recording():  # the span ends with the call; untraced calls do not wait
                _record(span, await call.code())
            return call


class RequestIdUnaryStream(any_rpc.UnaryStreamClientInterceptor):
    async def intercept_unary_stream(self, continuation: Any, details: Any, request: Any) -> Any:
        with _client_span(details, end=False) as span:
            call = await continuation(_outgoing(details), request)
        _end_when_done(span, call)
        return call


class RequestIdStreamUnary(any_rpc.StreamUnaryClientInterceptor):
    async def intercept_stream_unary(self, continuation: Any, details: Any, requests: Any) -> Any:
        with _client_span(details, end=False) as span:
            call = await continuation(_outgoing(details), requests)
        _end_when_done(span, call)
        return call


class RequestIdStreamStream(any_rpc.StreamStreamClientInterceptor):
    async def intercept_stream_stream(self, continuation: Any, details: Any, requests: Any) -> Any:
        with _client_span(details, end=False) as span:
            call = await continuation(_outgoing(details), requests)
        _end_when_done(span, call)
        return call


def channel(address: str) -> grpc.aio.Channel:
    """An insecure channel to a peer inside the cluster, propagating the request id and the
    trace context."""
    interceptors: list[Any] = [  # grpc-stubs cannot type a mixed interceptor list
        RequestIdUnaryUnary(),
        RequestIdUnaryStream(),
        RequestIdStreamUnary(),
        RequestIdStreamStream(),
    ]
    return grpc.aio.insecure_channel(
        address,
        interceptors=interceptors,
        options=[
            ("grpc.max_receive_message_length", 16 * 1024 * 1024),
            # Every address the name resolves to gets calls in turn: behind a headless
            # Service that is every ready pod (a ClusterIP would pin a client to one).
            ("grpc.lb_policy_name", "round_robin"),
        ],
    )
