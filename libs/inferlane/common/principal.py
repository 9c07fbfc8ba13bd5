"""The authenticated caller of the current request, bound by the auth interceptor (or the
gateway's auth dependency) and read by handlers and the outgoing gRPC channel.

Its own module, beside common/auth and common/grpc: the gRPC client reads it without
importing auth (auth builds on grpc, never the reverse)."""

from contextvars import ContextVar
from dataclasses import dataclass

from inferlane.common.errors import PermissionDenied, Unauthenticated

USER, ADMIN, SERVICE = "user", "admin", "service"
ROLES = (USER, ADMIN, SERVICE)
# Metadata a service account sends, with its own token, to be treated as that user.
ACT_AS_HEADER = "x-act-as-user"


@dataclass(frozen=True)
class Principal:
    user_id: str
    role: str
    token: str  # the access token itself, forwarded on calls made for this caller
    actor: str | None = None  # a service account acting for user_id; the token is then its own
    api_key_id: str | None = None  # the token stands for this API key, not a signed-in session

    @property
    def is_admin(self) -> bool:
        return self.role == ADMIN

    @property
    def is_service(self) -> bool:
        return self.role == SERVICE


_current: ContextVar[Principal | None] = ContextVar("principal", default=None)


def bind(principal: Principal | None) -> None:
    _current.set(principal)


def current_or_none() -> Principal | None:
    return _current.get()


def current() -> Principal:
    principal = _current.get()
    if principal is None:
        raise Unauthenticated("sign in first")
    return principal


def require_admin() -> Principal:
    principal = current()
    if not principal.is_admin:
        raise PermissionDenied("this needs the admin role")
    return principal
