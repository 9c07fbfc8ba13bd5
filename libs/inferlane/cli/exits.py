"""Exit codes: one meaning each, the same in every command (listed in `inferlane --help`)."""

from inferlane.client import (
    ApiError,
    AuthenticationError,
    InferlaneError,
    NotFound,
    PermissionDenied,
    TaskFailed,
    TransportError,
)

OK = 0
ERROR = 1  # the API refused or failed (the problem is printed)
USAGE = 2  # bad arguments or options, a missing file
AUTH = 3  # not signed in, wrong credentials, not allowed
NOT_FOUND = 4  # no such dataset, task or model
TASK_FAILED = 5  # a waited-for task ended in error or was cancelled
UNREACHABLE = 6  # the gateway could not be reached
INTERRUPTED = 130  # Ctrl-C

HELP = (
    "Exit codes: 0 ok · 1 API error · 2 usage (bad options, missing file) · "
    "3 authentication · 4 not found · 5 task failed or cancelled · 6 gateway unreachable · "
    "130 interrupted."
)


def for_error(exc: InferlaneError) -> int:
    if isinstance(exc, AuthenticationError | PermissionDenied):
        return AUTH
    if isinstance(exc, NotFound):
        return NOT_FOUND
    if isinstance(exc, TaskFailed):
        return TASK_FAILED
    if isinstance(exc, TransportError):
        return UNREACHABLE
    if isinstance(exc, ApiError):
        return ERROR
    return ERROR
