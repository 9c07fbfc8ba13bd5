"""Pure ASGI middlewares (they do not buffer bodies, so streaming and SSE pass through).

Order, outermost first: security headers → request context → CORS → unhandled errors → app.
"""

import time
from collections.abc import Iterable

import structlog
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from inferlane.common import principal, request_id
from inferlane.common.grpc.client import bind_client

from . import errors
from .metrics import DURATION, REQUESTS, UNMATCHED

log = structlog.get_logger("inferlane.gateway.http")

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'",
    "Cross-Origin-Opener-Policy": "same-origin",
}
# Swagger UI is served from the gateway (routes/docs.py) with no inline script; its icons are
# data: URLs, the one thing /docs needs beyond the console's policy.
DOCS_CSP = "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'"


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp, docs_paths: Iterable[str] = ()) -> None:
        self.app = app
        self.docs_paths = tuple(p for p in docs_paths if p)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        is_docs = any(path == p or path.startswith(p + "/") for p in self.docs_paths)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
                if is_docs:
                    headers["Content-Security-Policy"] = DOCS_CSP
            await send(message)

        await self.app(scope, receive, send_with_headers)


class RequestContextMiddleware:
    """Binds the request id (logs, outgoing gRPC metadata, response header), then logs and
    counts the request once it is answered."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = request_id.accept_or_generate(Headers(scope=scope).get(request_id.HEADER))
        structlog.contextvars.clear_contextvars()  # nothing from an earlier request on this task
        principal.bind(None)  # the auth dependency binds this request's caller, if any
        request_id.bind(rid)
        # Printable ASCII only: it travels as gRPC metadata, which takes nothing else.
        agent = Headers(scope=scope).get("user-agent", "")
        bind_client("".join(c for c in agent if " " <= c <= "~") or None)
        start = time.perf_counter()
        status = 500  # if the app dies before answering, the server sends a 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message)["X-Request-ID"] = rid
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            # Servers run each request in a fresh context; in-process test clients do not.
            principal.bind(None)
            duration = time.perf_counter() - start
            method: str = scope["method"]
            route = route_template(scope)
            REQUESTS.labels(method, route, str(status)).inc()
            DURATION.labels(method, route).observe(duration)
            log.info(
                "request",
                method=method,
                path=scope["path"],
                route=route,
                status=status,
                duration_ms=round(duration * 1000, 2),
            )


class UnhandledErrorMiddleware:
    """Turns a bug into a 500 problem *inside* the other middlewares, so the answer still
    carries the request id, security and CORS headers (Starlette's own handler sits outside)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def send_tracking(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, send_tracking)
        except Exception:
            log.exception("unhandled error", path=scope["path"])
            if started:
                raise  # half a response went out; only dropping the connection is honest
            await errors.internal_error(scope["path"])(scope, receive, send)


def route_template(scope: Scope) -> str:
    """The matched route's full template; requests that match none share one label."""
    # scope["route"] is the route as declared, without the prefixes its routers were included
    # under; FastAPI (0.165, pinned) keeps the prefixed template in its effective route context.
    # The test of the metrics labels fails if an upgrade moves it.
    fastapi_scope = scope.get("fastapi")
    effective = (
        fastapi_scope.get("effective_route_context") if isinstance(fastapi_scope, dict) else None
    )
    for candidate in (effective, scope.get("route")):
        path = getattr(candidate, "path_format", None)
        if isinstance(path, str) and path:
            return path
    return UNMATCHED
