"""Domain errors raised by service code; the gRPC layer maps them to status codes in one place."""

import grpc

# The product's domain codes (PRODUCT.md), in a problem's `code` and a row's or task's error.
INVALID_INPUT = "01"  # the request breaks a rule the caller can correct
UNREADABLE_FILE = "02"  # the file is unsupported, or cannot be read as what it claims to be
PROCESSING_FAILED = "03"  # the input was acceptable; running it failed
OVERLOADED = "overloaded"  # a 503: too busy to start the call, nothing done; retry after


class DomainError(Exception):
    """Base for errors a caller can act on; `code` is a domain code (INVALID_INPUT...) or a word."""

    status: grpc.StatusCode = grpc.StatusCode.FAILED_PRECONDITION

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


class InvalidInput(DomainError):
    status = grpc.StatusCode.INVALID_ARGUMENT


class NotFound(DomainError):
    """Missing, or owned by someone else: the caller cannot tell which."""

    status = grpc.StatusCode.NOT_FOUND


class AlreadyExists(DomainError):
    status = grpc.StatusCode.ALREADY_EXISTS


class Conflict(DomainError):
    status = grpc.StatusCode.FAILED_PRECONDITION


class Unauthenticated(DomainError):
    status = grpc.StatusCode.UNAUTHENTICATED


class PermissionDenied(DomainError):
    status = grpc.StatusCode.PERMISSION_DENIED


class TooMany(DomainError):
    """Back-pressure; `retry_after` seconds travel to the edge as Retry-After."""

    status = grpc.StatusCode.RESOURCE_EXHAUSTED

    def __init__(self, message: str, *, retry_after: float, code: str | None = None) -> None:
        super().__init__(message, code=code)
        self.retry_after = retry_after


class PayloadTooLarge(DomainError):
    """An upload over its limit; the gateway answers 413."""

    status = grpc.StatusCode.OUT_OF_RANGE


class Gone(DomainError):
    """It existed but is no longer available (an expired or revoked share link): 410."""

    status = grpc.StatusCode.FAILED_PRECONDITION

    def __init__(self, message: str, code: str = "gone") -> None:
        super().__init__(message, code=code)


class Unavailable(DomainError):
    status = grpc.StatusCode.UNAVAILABLE


class Overloaded(Unavailable):
    """Too busy to start this call now (nothing was done); `retry_after` seconds travel to
    the edge as Retry-After, with the 503."""

    def __init__(self, message: str, *, retry_after: float) -> None:
        super().__init__(message, code=OVERLOADED)
        self.retry_after = retry_after


# Trailing-metadata keys that carry a DomainError's extras to the gateway.
DOMAIN_CODE_KEY = "x-domain-code"
RETRY_AFTER_KEY = "x-retry-after"
