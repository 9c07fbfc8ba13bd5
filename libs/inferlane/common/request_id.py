"""The request id that follows one request through the gateway, every service and the logs."""

import uuid
from contextvars import ContextVar

import structlog

HEADER = "x-request-id"
MAX_LENGTH = 128

_current: ContextVar[str | None] = ContextVar("request_id", default=None)


def current() -> str | None:
    return _current.get()


def accept_or_generate(candidate: str | None) -> str:
    """Keep a caller's id when it is printable and short; otherwise make a new one."""
    if (
        candidate
        and len(candidate) <= MAX_LENGTH
        and candidate.isascii()
        and candidate.isprintable()
    ):
        return candidate
    return uuid.uuid4().hex


def bind(request_id: str) -> None:
    """Make `request_id` current for this task: it reaches log lines and outgoing gRPC calls."""
    _current.set(request_id)
    structlog.contextvars.bind_contextvars(request_id=request_id)
