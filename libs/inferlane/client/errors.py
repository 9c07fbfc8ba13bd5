"""Typed exceptions. Every error answer of the gateway is an RFC 7807 problem; it becomes an
`ApiError` subclass chosen by status, carrying the problem's fields."""

from dataclasses import dataclass, field
from typing import Any

import httpx


@dataclass(frozen=True)
class Problem:
    """An `application/problem+json` body (or what could be made of a non-problem answer)."""

    status: int
    title: str
    detail: str
    code: str
    type: str = "about:blank"
    instance: str | None = None
    request_id: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_response(cls, response: httpx.Response) -> "Problem":
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            body = {}
        known = {"status", "title", "detail", "code", "type", "instance", "request_id"}
        title = str(body.get("title") or response.reason_phrase or "Error")
        return cls(
            status=int(body.get("status") or response.status_code),
            title=title,
            detail=str(body.get("detail") or title),
            code=str(body.get("code") or ""),
            type=str(body.get("type") or "about:blank"),
            instance=body.get("instance"),
            request_id=body.get("request_id") or response.headers.get("x-request-id"),
            extra={k: v for k, v in body.items() if k not in known},
        )


class InferlaneError(Exception):
    """Base of every error this library raises."""


class TransportError(InferlaneError):
    """The gateway could not be reached, or the connection broke."""


class ApiError(InferlaneError):
    """The gateway answered with an error status."""

    def __init__(self, problem: Problem, *, retry_after: float | None = None) -> None:
        super().__init__(f"{problem.status} {problem.title}: {problem.detail}")
        self.problem = problem
        self.retry_after = retry_after

    @property
    def status(self) -> int:
        return self.problem.status

    @property
    def code(self) -> str:
        return self.problem.code

    @property
    def title(self) -> str:
        return self.problem.title

    @property
    def detail(self) -> str:
        return self.problem.detail

    @property
    def request_id(self) -> str | None:
        return self.problem.request_id


class InvalidRequest(ApiError):
    """400/413/415/422: the input is invalid (`code` "01") or the file unreadable ("02")."""


class AuthenticationError(ApiError):
    """401: missing, wrong or expired credentials."""


class PermissionDenied(ApiError):
    """403: signed in, but not allowed."""


class NotFound(ApiError):
    """404: no such resource, or it belongs to someone else."""


class Conflict(ApiError):
    """409: conflicts with the current state (e.g. the email is taken, the task finished)."""


class Gone(ApiError):
    """410: it existed but is no longer available."""


class RateLimited(ApiError):
    """429: too many requests or queued tasks; `retry_after` says how long to wait."""


class ServerError(ApiError):
    """5xx: the platform failed or is unavailable (503)."""


class TaskFailed(InferlaneError):
    """A task that was waited for ended in `error` or `cancelled`."""

    def __init__(self, task: Any) -> None:
        reason = f": {task.error.message}" if task.error is not None else ""
        super().__init__(f"task {task.id} ended {task.status}{reason}")
        self.task = task


_BY_STATUS: dict[int, type[ApiError]] = {
    400: InvalidRequest,
    401: AuthenticationError,
    403: PermissionDenied,
    404: NotFound,
    409: Conflict,
    410: Gone,
    413: InvalidRequest,
    415: InvalidRequest,
    422: InvalidRequest,
    429: RateLimited,
}


def retry_after_seconds(response: httpx.Response) -> float | None:
    """`Retry-After` as seconds (the gateway sends whole seconds; HTTP dates are ignored)."""
    value = response.headers.get("retry-after")
    try:
        seconds = float(value) if value is not None else None
    except ValueError:
        return None
    return max(0.0, seconds) if seconds is not None else None


def error_from_response(response: httpx.Response) -> ApiError:
    """The exception for an error answer (the body must have been read)."""
    status = response.status_code
    kind = _BY_STATUS.get(status) or (ServerError if status >= 500 else ApiError)
    return kind(Problem.from_response(response), retry_after=retry_after_seconds(response))
