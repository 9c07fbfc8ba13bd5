"""The request id that follows one request through the gateway, every service and the logs."""

import re
import uuid
from contextvars import ContextVar

import structlog

HEADER = "x-request-id"
MAX_LENGTH = 128
# A plain token: it is echoed in a header and in problem bodies and logged, so nothing that
# could mean something to HTML, a shell, a log parser or a header (quotes, <, spaces, ;).
_SAFE = re.compile(r"[A-Za-z0-9._:-]+")

_current: ContextVar[str | None] = ContextVar("request_id", default=None)


def current() -> str | None:
    return _current.get()


def accept_or_generate(candidate: str | None) -> str:
    """Keep a caller's id when it is a short plain token (letters, digits, . _ : -);
    otherwise make a new one."""
    if candidate and len(candidate) <= MAX_LENGTH and _SAFE.fullmatch(candidate):
        return candidate
    return uuid.uuid4().hex


def bind(request_id: str) -> None:
    """Make `request_id` current for this task: it reaches log lines and outgoing gRPC calls."""
    _current.set(request_id)
    structlog.contextvars.bind_contextvars(request_id=request_id)
