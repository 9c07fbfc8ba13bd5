"""The decisions of the auth service that need no I/O: who may register, which roles an admin
gives, what an API key may be called and who may manage keys, when a spent refresh token is a
race rather than a replay. service.py reads and writes; these say yes or no."""

from datetime import datetime, timedelta

from inferlane.common.errors import InvalidInput, PermissionDenied
from inferlane.common.principal import ADMIN, USER, Principal
from services.auth import emails

# Roles an admin may give; service accounts come from configuration only.
ASSIGNABLE_ROLES = (USER, ADMIN)
MAX_KEY_NAME = 100

# How long a spent refresh token still gets its successor (RFC 9700 4.14.2 allows a grace
# period): tabs that refresh at once must not sign each other out.
DEFAULT_REFRESH_GRACE = timedelta(seconds=10)


def registrable_email(email: str) -> str:
    """The normalised address, unless a person may not hold it."""
    email = emails.normalise(email)
    if emails.is_service_account(email):  # or a person could squat a configured account
        raise InvalidInput("that address is reserved for service accounts", code="01")
    return email


def check_assignable(role: str) -> None:
    if role not in ASSIGNABLE_ROLES:
        raise InvalidInput(f"role must be one of {', '.join(ASSIGNABLE_ROLES)}", code="01")


def check_manages_keys(caller: Principal) -> None:
    """Keys are managed by a signed-in person only: a leaked key that could mint keys would
    outlive its own revocation."""
    if caller.api_key_id is not None:
        raise PermissionDenied("an API key cannot manage API keys; sign in with your password")


def check_revokes_key(caller: Principal, key_id: str) -> None:
    """A key may end itself (the CLI's logout does); any other key needs a signed-in person."""
    if caller.api_key_id != key_id:
        check_manages_keys(caller)


def new_key_name(caller: Principal, name: str) -> str:
    check_manages_keys(caller)
    if caller.is_service:
        raise PermissionDenied("service accounts get their keys from configuration")
    name = name.strip()
    if not 1 <= len(name) <= MAX_KEY_NAME:
        raise InvalidInput(f"an API key needs a name of 1 to {MAX_KEY_NAME} characters", code="01")
    return name


def refresh_raced(spent_at: datetime, now: datetime, grace: timedelta) -> bool:
    """A spent token back within the grace period lost a race (two tabs refreshing at once)
    and gets the winner's successor; later, it was stolen or replayed."""
    return now - spent_at <= grace
