"""A peer service's gRPC error, turned back into the DomainError it was raised as.

The error-mapping interceptor sends a DomainError as a status plus trailers (domain code,
retry-after); a service calling another re-raises the same error, so the caller's caller
sees what the peer said (e.g. a dataset that is not found stays NOT_FOUND) and not a 500.
"""

from typing import cast

import grpc

from inferlane.common import errors

_BY_STATUS: dict[grpc.StatusCode, type[errors.DomainError]] = {
    grpc.StatusCode.INVALID_ARGUMENT: errors.InvalidInput,
    grpc.StatusCode.NOT_FOUND: errors.NotFound,
    grpc.StatusCode.ALREADY_EXISTS: errors.AlreadyExists,
    grpc.StatusCode.UNAUTHENTICATED: errors.Unauthenticated,
    grpc.StatusCode.PERMISSION_DENIED: errors.PermissionDenied,
    grpc.StatusCode.OUT_OF_RANGE: errors.PayloadTooLarge,
    grpc.StatusCode.UNAVAILABLE: errors.Unavailable,
    grpc.StatusCode.DEADLINE_EXCEEDED: errors.Unavailable,
}
TRANSIENT = frozenset(
    {
        grpc.StatusCode.UNAVAILABLE,
        grpc.StatusCode.DEADLINE_EXCEEDED,
        grpc.StatusCode.RESOURCE_EXHAUSTED,
        grpc.StatusCode.ABORTED,
    }
)


def trailer(exc: grpc.aio.AioRpcError, key: str) -> str | None:
    # grpc-stubs type this as the sync RpcError's tuple; grpc.aio returns Metadata.
    trailers = cast("grpc.aio.Metadata | None", exc.trailing_metadata())
    for k, v in trailers or ():
        if k == key and isinstance(v, str):
            return v
    return None


def domain_error(exc: grpc.aio.AioRpcError, what: str) -> Exception:
    """The DomainError for `exc`; `what` names the peer call for the log and the message of
    errors that have no domain meaning (those stay plain exceptions: a 500 / INTERNAL)."""
    status = exc.code()
    code = trailer(exc, errors.DOMAIN_CODE_KEY)
    if status == grpc.StatusCode.RESOURCE_EXHAUSTED:
        retry_after = float(trailer(exc, errors.RETRY_AFTER_KEY) or 1)
        return errors.TooMany(exc.details() or what, retry_after=retry_after, code=code)
    if status == grpc.StatusCode.FAILED_PRECONDITION:
        if code == "gone":
            return errors.Gone(exc.details() or what)
        return errors.Conflict(exc.details() or what, code=code)
    kind = _BY_STATUS.get(status)
    if kind is None:
        return RuntimeError(f"{what} failed: {status.name} {exc.details()}")
    return kind(exc.details() or what, code=code)


def is_transient(exc: grpc.aio.AioRpcError) -> bool:
    return exc.code() in TRANSIENT
