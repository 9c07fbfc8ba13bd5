"""Server interceptors: tracing, request id, logging + Prometheus metrics, domain-error mapping."""

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import grpc
import structlog
from opentelemetry.trace import SpanKind, Status, StatusCode
from prometheus_client import Counter, Histogram

from inferlane.common import request_id, tracing
from inferlane.common.errors import (
    DOMAIN_CODE_KEY,
    RETRY_AFTER_KEY,
    DomainError,
    Overloaded,
    TooMany,
)
from inferlane.common.grpc.any_rpc import AnyContext, AnyHandler, ServerInterceptor
from inferlane.common.grpc.handlers import Around, wrap

log = structlog.get_logger("inferlane.rpc")

RPC_TOTAL = Counter("inferlane_grpc_server_handled_total", "RPCs completed.", ["method", "code"])
RPC_SECONDS = Histogram(
    "inferlane_grpc_server_handling_seconds",
    "RPC duration until the handler returned.",
    ["method"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)

Continuation = Callable[[grpc.HandlerCallDetails], Awaitable[AnyHandler | None]]

# The codes that mark a server span as failed (OpenTelemetry's RPC conventions): the others
# are the caller's doing.
SERVER_ERRORS = frozenset(
    {
        grpc.StatusCode.UNKNOWN,
        grpc.StatusCode.DEADLINE_EXCEEDED,
        grpc.StatusCode.UNIMPLEMENTED,
        grpc.StatusCode.INTERNAL,
        grpc.StatusCode.UNAVAILABLE,
        grpc.StatusCode.DATA_LOSS,
    }
)


class AroundInterceptor(ServerInterceptor):
    """Base: subclasses give `around(method)`, the code to run around each call of `method`."""

    def around(self, method: str) -> Around:
        raise NotImplementedError

    async def intercept_service(  # type: ignore[override]  # None: unknown method
        self, continuation: Continuation, handler_call_details: grpc.HandlerCallDetails
    ) -> AnyHandler | None:
        handler = await continuation(handler_call_details)
        if handler is None:
            return None
        return wrap(handler, self.around(handler_call_details.method))


class TracingInterceptor(AroundInterceptor):
    """A server span per RPC, the child of the caller's span when its metadata carries one.

    Ours rather than opentelemetry-instrumentation-grpc's aio interceptor: that one iterates
    every streaming behaviour, and health's Watch writes with context.write() instead."""

    def around(self, method: str) -> Around:
        name = method.lstrip("/")
        service, _, rpc = name.partition("/")
        attributes = {"rpc.system": "grpc", "rpc.service": service, "rpc.method": rpc}

        @asynccontextmanager
        async def scope(context: AnyContext) -> AsyncIterator[None]:
            metadata = {
                k: v for k, v in (context.invocation_metadata() or ()) if isinstance(v, str)
            }
            with tracing.tracer().start_as_current_span(
                name,
                context=tracing.extract(metadata),
                kind=SpanKind.SERVER,
                attributes=attributes,
                record_exception=False,
                set_status_on_exception=False,
            ) as span:
                failed: BaseException | None = None
                try:
                    yield
                except BaseException as exc:
                    failed = exc
                    raise
                finally:
                    if span.is_recording():
                        code = _final_code(context, failed)
                        span.set_attribute("rpc.grpc.status_code", code.value[0])
                        if code in SERVER_ERRORS:
                            span.set_status(Status(StatusCode.ERROR, code.name))

        return scope


class RequestIdInterceptor(AroundInterceptor):
    """Binds the caller's ``x-request-id`` (or a new one) for the handler, its logs, its calls."""

    def around(self, method: str) -> Around:
        @asynccontextmanager
        async def scope(context: AnyContext) -> AsyncIterator[None]:
            metadata = dict(context.invocation_metadata() or ())
            incoming = metadata.get(request_id.HEADER)
            request_id.bind(
                request_id.accept_or_generate(incoming if isinstance(incoming, str) else None)
            )
            try:
                yield
            finally:
                structlog.contextvars.unbind_contextvars("request_id")

        return scope


class ObservabilityInterceptor(AroundInterceptor):
    """One log line and one metrics sample per RPC, with its final status code."""

    def around(self, method: str) -> Around:
        @asynccontextmanager
        async def scope(context: AnyContext) -> AsyncIterator[None]:
            start = time.perf_counter()
            failed: BaseException | None = None
            try:
                yield
            except BaseException as exc:
                failed = exc
                raise
            finally:
                seconds = time.perf_counter() - start
                code = _final_code(context, failed)
                RPC_TOTAL.labels(method, code.name).inc()
                RPC_SECONDS.labels(method).observe(seconds)
                level = "warning" if code is grpc.StatusCode.INTERNAL else "info"
                getattr(log, level)(
                    "rpc", method=method, code=code.name, duration_ms=round(seconds * 1000, 2)
                )

        return scope


class ErrorMappingInterceptor(AroundInterceptor):
    """Turns DomainError into its gRPC status; anything unexpected is INTERNAL, details logged."""

    def around(self, method: str) -> Around:
        @asynccontextmanager
        async def scope(context: AnyContext) -> AsyncIterator[None]:
            try:
                yield
            except DomainError as exc:
                trailers: list[tuple[str, str]] = []
                if exc.code:
                    trailers.append((DOMAIN_CODE_KEY, exc.code))
                if isinstance(exc, TooMany | Overloaded):
                    trailers.append((RETRY_AFTER_KEY, f"{exc.retry_after:g}"))
                context.set_trailing_metadata(tuple(trailers))
                await context.abort(exc.status, exc.message)
            except (grpc.aio.AbortError, grpc.aio.UsageError):
                raise
            except NotImplementedError:
                # The generated base class raises this for an RPC not implemented yet.
                await context.abort(
                    grpc.StatusCode.UNIMPLEMENTED, f"{method} is not implemented yet"
                )
            except Exception:
                log.exception("unhandled error", method=method)
                await context.abort(grpc.StatusCode.INTERNAL, "internal error")

        return scope


def default_interceptors(
    auth: ServerInterceptor | None = None,
) -> list[ServerInterceptor]:
    """Outermost first: the span and the request id are current before anything logs, and a
    rejected caller is still traced, logged and counted."""
    chain: list[ServerInterceptor] = [
        TracingInterceptor(),
        RequestIdInterceptor(),
        ObservabilityInterceptor(),
    ]
    if auth is not None:
        chain.append(auth)
    return [*chain, ErrorMappingInterceptor()]


def _final_code(context: AnyContext, failed: BaseException | None) -> grpc.StatusCode:
    if isinstance(failed, asyncio.CancelledError):  # the client went away, or the server stopped
        return grpc.StatusCode.CANCELLED
    code = context.code()
    if isinstance(code, grpc.StatusCode):
        return code
    if code is not None:  # some grpc versions return the raw integer
        return next((c for c in grpc.StatusCode if c.value[0] == code), grpc.StatusCode.UNKNOWN)
    return grpc.StatusCode.OK if failed is None else grpc.StatusCode.UNKNOWN
