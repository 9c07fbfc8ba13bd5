"""Service accounts from configuration (AUTH_SERVICE_ACCOUNTS), made or updated on start.

Each name gets an account `<name>@service.invalid` with role service and no password, and
exactly one live API key: the configured one. Running it again changes nothing; a changed
key revokes the old one, so rotating is editing the configuration and restarting.
"""

import structlog
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncEngine

from inferlane.common.clock import Clock, utc_now
from inferlane.common.principal import SERVICE
from services.auth import api_keys, emails, repository
from services.auth.domain import User

log = structlog.get_logger("inferlane.auth.service_accounts")
KEY_NAME = "configured (AUTH_SERVICE_ACCOUNTS)"


class ServiceAccountConflict(Exception):
    """The configuration names something that is not ours to take; the process must not start."""


async def provision(
    engine: AsyncEngine, accounts: dict[str, SecretStr], clock: Clock = utc_now
) -> list[User]:
    made = []
    for name, key in accounts.items():
        secret = key.get_secret_value()
        async with engine.begin() as conn:
            user = await repository.ensure_service_user(conn, emails.service_account(name))
            if user.role != SERVICE:  # registered before the address was reserved
                raise ServiceAccountConflict(f"{user.email} is a person's account")
            key_id = await repository.ensure_api_key(
                conn, user.id, KEY_NAME, secret[: api_keys.SHOWN_CHARS], api_keys.digest(secret)
            )
            if key_id is None:
                raise ServiceAccountConflict(f"the key of {name!r} is another account's API key")
            revoked = await repository.revoke_other_api_keys(conn, user.id, key_id, clock())
        log.info("service account ready", account=name, user_id=str(user.id), revoked_keys=revoked)
        made.append(user)
    return made
