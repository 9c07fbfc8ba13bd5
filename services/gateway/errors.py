"""The one place where errors become RFC 7807 problem details (``application/problem+json``).

Every body has ``type, title, status, detail, instance, code, request_id``; ``code`` is the
domain code ("01" invalid input, "02" unreadable file, "03" processing failed) when one
applies, else a short machine word.
"""

import math
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any, cast

import grpc
import structlog
from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse, Response
from starlette.routing import Match

from inferlane.common import request_id
from inferlane.common.errors import (
    DOMAIN_CODE_KEY,
    INVALID_INPUT,
    OVERLOADED,
    RETRY_AFTER_KEY,
    Overloaded,
)

log = structlog.get_logger("inferlane.gateway.errors")

_WORDS = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    410: "gone",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: INVALID_INPUT,
    429: "too_many_requests",
    500: "internal",
    501: "not_implemented",
    503: "unavailable",
    504: "timeout",
}

# gRPC status → HTTP status; anything not listed is a 500.
_GRPC_TO_HTTP = {
    grpc.StatusCode.INVALID_ARGUMENT: 422,
    grpc.StatusCode.NOT_FOUND: 404,
    grpc.StatusCode.ALREADY_EXISTS: 409,
    grpc.StatusCode.FAILED_PRECONDITION: 409,
    grpc.StatusCode.UNAUTHENTICATED: 401,
    grpc.StatusCode.PERMISSION_DENIED: 403,
    grpc.StatusCode.RESOURCE_EXHAUSTED: 429,
    grpc.StatusCode.UNAVAILABLE: 503,
    grpc.StatusCode.DEADLINE_EXCEEDED: 504,
    grpc.StatusCode.UNIMPLEMENTED: 501,
    grpc.StatusCode.OUT_OF_RANGE: 413,  # an upload over the service's size limit
}
# Seconds a client is asked to wait before retrying a call whose peer was unavailable.
UNAVAILABLE_RETRY = 5
# FAILED_PRECONDITION with this domain code: it existed but is no longer available (410).
GONE = "gone"
EXPIRED = "expired"  # a task whose results the retention janitor deleted


class ProblemResponse(JSONResponse):
    media_type = "application/problem+json"


class ProblemException(HTTPException):
    """An HTTP error raised by the gateway itself, with the problem's ``code`` chosen here
    (e.g. "csrf") instead of derived from the status."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        code: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(status, detail, dict(headers) if headers else None)
        self.code = code


def problem(
    status: int,
    *,
    instance: str,
    detail: str | None = None,
    code: str | None = None,
    headers: Mapping[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> ProblemResponse:
    """Build the response; ``type`` is about:blank, so ``title`` is the HTTP reason phrase."""
    title = HTTPStatus(status).phrase
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": detail or title,
        "instance": instance,
        "code": code or _WORDS.get(status) or title.lower().replace(" ", "_"),
        "request_id": request_id.current(),
        **(extra or {}),
    }
    return ProblemResponse(body, status_code=status, headers=headers)


def internal_error(instance: str) -> ProblemResponse:
    """What a caller sees of a bug: nothing but the request id to quote."""
    return problem(500, instance=instance, detail="An unexpected error occurred.")


def from_grpc(exc: grpc.aio.AioRpcError, instance: str) -> ProblemResponse:
    code = exc.code()
    status = _GRPC_TO_HTTP.get(code, 500)
    trailers = _trailers(exc)
    if code == grpc.StatusCode.FAILED_PRECONDITION and trailers.get(DOMAIN_CODE_KEY) in (
        GONE,
        EXPIRED,
    ):
        status = 410
    headers: dict[str, str] = {}
    if status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    retry_after = _seconds(trailers.get(RETRY_AFTER_KEY))
    if status == 429 and retry_after is None:
        # Not our back-pressure (which always says when to retry) but gRPC's own limit, e.g.
        # "Received message larger than max": retrying cannot help, and its words stay here.
        log.warning("peer call refused", grpc_code=code.name, grpc_details=exc.details())
        return problem(413, instance=instance, detail="The request is too large.")
    if status == 429:
        headers["Retry-After"] = str(retry_after)
    if status == 503:  # a peer (or Triton behind it) is down or restarting: worth a retry soon
        headers["Retry-After"] = str(_seconds(trailers.get(RETRY_AFTER_KEY)) or UNAVAILABLE_RETRY)
    domain = trailers.get(DOMAIN_CODE_KEY)
    if status >= 500 and domain != OVERLOADED:
        # Transport and server messages name hosts and internals: log them, do not return them.
        log.warning("peer call failed", grpc_code=code.name, grpc_details=exc.details())
        detail = None
    else:
        # Services word their 4xx messages, and their back-pressure, for the caller.
        detail = exc.details()
    if domain is None and code == grpc.StatusCode.INVALID_ARGUMENT:
        domain = INVALID_INPUT
    return problem(status, instance=instance, detail=detail, code=domain, headers=headers or None)


def _trailers(exc: grpc.aio.AioRpcError) -> dict[str, str]:
    """First value of each text trailer (binary ``-bin`` trailers are not ours)."""
    # grpc-stubs type this as the sync RpcError's tuple; grpc.aio returns Metadata.
    trailers = cast("grpc.aio.Metadata | None", exc.trailing_metadata())
    out: dict[str, str] = {}
    for key, value in trailers or ():
        if isinstance(value, str):
            out.setdefault(key, value)
    return out


def _seconds(value: str | None) -> int | None:
    """Retry-After takes whole seconds; round up so a client never retries too early."""
    try:
        seconds = float(value) if value is not None else math.nan
    except ValueError:
        return None
    return max(1, math.ceil(seconds)) if math.isfinite(seconds) else None


def _validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    """Where and why, without echoing the input back (it may be a password)."""
    return [
        {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
        for e in jsonable_encoder(exc.errors())
    ]


def _say_where(errors: list[dict[str, Any]]) -> str:
    """The detail names each field and what is wrong with it, so a client that prints only
    `detail` (the CLI, a log line) still tells the person what to fix."""
    parts = []
    for e in errors[:5]:
        where = ".".join(str(p) for p in e["loc"] if p not in ("body", "path", "query", "header"))
        parts.append(f"{where}: {e['msg']}" if where else e["msg"])
    more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
    return "Check the request: " + "; ".join(parts) + more + "."


async def _on_http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    detail = exc.detail if isinstance(exc.detail, str) else None
    code = exc.code if isinstance(exc, ProblemException) else None
    if exc.status_code == 404 and code is None and detail == "Not Found":
        # No route matched, e.g. /tasks/abc (ids are UUIDs): say so instead of the bare phrase.
        detail = "There is nothing at this address; check the path and any id in it."
    headers = exc.headers
    if exc.status_code == 405:
        headers = {**(headers or {}), "Allow": ", ".join(allowed_methods(request))}
    return problem(
        exc.status_code, instance=request.url.path, detail=detail, code=code, headers=headers
    )


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


def allowed_methods(request: Request) -> list[str]:
    """Every method some route fully matches at this path. Starlette's 405 names only the
    first route that matched the path, and GET and POST of one path are two routes here."""
    routes = request.app.router.routes
    return [
        method
        for method in _METHODS
        if any(
            route.matches({**request.scope, "method": method})[0] == Match.FULL for route in routes
        )
    ]


async def _on_validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = _validation_errors(exc)
    if any(e["type"] == "json_invalid" for e in errors):
        detail = "The request body is not valid JSON."
    else:
        detail = _say_where(errors)
    return problem(
        422, instance=request.url.path, detail=detail, code=INVALID_INPUT, extra={"errors": errors}
    )


async def _on_grpc_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, grpc.aio.AioRpcError)
    return from_grpc(exc, request.url.path)


async def _on_overloaded(request: Request, exc: Exception) -> Response:
    """The gateway's own back-pressure (too many creations waiting): the same 503 a busy
    service behind it gets, with its Retry-After."""
    assert isinstance(exc, Overloaded)
    headers = {"Retry-After": str(_seconds(str(exc.retry_after)) or UNAVAILABLE_RETRY)}
    return problem(
        503, instance=request.url.path, detail=exc.message, code=OVERLOADED, headers=headers
    )


def install(app: FastAPI) -> None:
    """Register the handlers. Unexpected exceptions are caught by the middleware instead, so
    that their 500 still carries the request id and security headers."""
    app.add_exception_handler(HTTPException, _on_http_exception)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(grpc.aio.AioRpcError, _on_grpc_error)
    app.add_exception_handler(Overloaded, _on_overloaded)
