"""The rules of accounts and tokens. No gRPC here: the servicer and the admin CLI call it."""

import asyncio
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from inferlane.common.auth.verify import REFRESH, InvalidToken, TokenVerifier
from inferlane.common.clock import Clock, utc_now
from inferlane.common.errors import (
    AlreadyExists,
    InvalidInput,
    NotFound,
    TooMany,
    Unauthenticated,
)
from inferlane.common.outbox import enqueue
from inferlane.common.pagination import Cursor, clamp_limit
from inferlane.common.principal import ADMIN, SERVICE, USER, Principal
from inferlane.events.v1 import events_pb2
from services.auth import api_keys, emails, repository, rules
from services.auth.domain import ApiKey, ApiKeyIdentity, TokenPair, User
from services.auth.passwords import Passwords
from services.auth.tables import outbox
from services.auth.throttle import LoginThrottle
from services.auth.tokens import TokenIssuer

USER_REGISTERED = "auth.user.registered"
API_KEY_REVOKED = "auth.api_key.revoked"
BAD_CREDENTIALS = "invalid email or password"  # the same words whether or not the email exists


class AuthService:
    def __init__(
        self,
        engine: AsyncEngine,
        issuer: TokenIssuer,
        verifier: TokenVerifier,
        throttle: LoginThrottle,
        *,
        passwords: Passwords | None = None,
        refresh_grace: timedelta = rules.DEFAULT_REFRESH_GRACE,
        clock: Clock = utc_now,
        on_event: Callable[[], None] = lambda: None,
    ) -> None:
        self._engine = engine
        self._issuer = issuer
        self._verifier = verifier
        self._throttle = throttle
        self._passwords = passwords or Passwords()
        self._refresh_grace = refresh_grace
        self._clock = clock
        self._on_event = on_event  # wakes the outbox relay after a commit

    # -- accounts -------------------------------------------------------------------------

    async def register(self, email: str, password: str, role: str = USER) -> User:
        email = rules.registrable_email(email)
        self._passwords.check_policy(password, email)
        password_hash = await asyncio.to_thread(self._passwords.hash, password)  # ~50 ms of CPU
        async with self._engine.begin() as conn:
            user = await repository.insert_user(conn, email, password_hash, role)
            if user is None:
                raise AlreadyExists("an account with this email already exists")
            event = events_pb2.UserRegistered(
                event_id=str(uuid.uuid4()), user_id=str(user.id), email=email
            )
            event.occurred_at.FromDatetime(user.created_at)
            await enqueue(conn, outbox, USER_REGISTERED, event.SerializeToString())
        self._on_event()
        return user

    async def login(self, email: str, password: str, client_address: str = "") -> TokenPair:
        try:
            email = emails.normalise(email)
        except InvalidInput:
            raise Unauthenticated(BAD_CREDENTIALS) from None
        now = self._clock()
        keys = self._throttle.keys(email, client_address)
        async with self._engine.begin() as conn:
            wait = await self._throttle.attempt(conn, keys, now)
            found = await repository.user_with_hash(conn, email) if wait is None else None
        if found is not None and found[0].role == SERVICE:
            found = None  # no password signs a service account in; it fails like an unknown email
        if wait is not None:  # committed above: the attempt (and any new lock) is recorded
            raise TooMany("too many failed sign-ins; try again later", retry_after=wait)
        stored_hash = found[1] if found else None
        if (
            not await asyncio.to_thread(self._passwords.verify, stored_hash, password)
            or found is None
        ):
            async with self._engine.begin() as conn:  # the attempt stays counted; maybe locks
                await self._throttle.failed(conn, keys, now)
            raise Unauthenticated(BAD_CREDENTIALS)
        user, password_hash = found
        async with self._engine.begin() as conn:
            await self._throttle.succeeded(conn, keys)
            if self._passwords.needs_rehash(password_hash):  # parameters changed since it was made
                new_hash = await asyncio.to_thread(self._passwords.hash, password)
                await repository.set_password_hash(conn, user.id, new_hash)
            return await self._issue(conn, user, uuid.uuid4(), now)

    async def refresh(self, refresh_token: str) -> TokenPair:
        """Rotate: spend this token, issue the next of its family. A spent token coming back
        within the grace period is a race (two tabs refreshing at once): it gets the successor
        the winner got, and nothing is revoked. Later, it was stolen or replayed, so its whole
        family is revoked."""
        jti, user_id = await self._refresh_claims(refresh_token)
        now = self._clock()
        async with self._engine.begin() as conn:
            family = await repository.spend_refresh(conn, jti, now)
            user = await repository.get_user(conn, user_id)
            if family is not None and user is not None:
                return await self._issue(conn, user, family, now, replaces=jti)
            # After the winner's commit: its UPDATE held the row until then.
            state = await repository.refresh_state(conn, jti)
            if state is not None and state.spent_at is not None and state.revoked_at is None:
                raced = rules.refresh_raced(state.spent_at, now, self._refresh_grace)
                successor = None
                if raced and state.replaced_by is not None:
                    successor = await repository.refresh_state(conn, state.replaced_by)
                if user is not None and successor is not None and successor.revoked_at is None:
                    return self._again(user, successor, now)
                await repository.revoke_family(conn, state.family_id, now)
        raise Unauthenticated("invalid refresh token")

    async def logout(self, refresh_token: str) -> None:
        """Revokes the family of the presented token; an unusable token is simply ignored."""
        try:
            jti, _ = await self._refresh_claims(refresh_token)
        except Unauthenticated:
            return
        async with self._engine.begin() as conn:
            state = await repository.refresh_state(conn, jti)
            if state is not None:
                await repository.revoke_family(conn, state.family_id, self._clock())

    async def me(self, caller: Principal) -> User:
        async with self._engine.connect() as conn:
            user = await repository.get_user(conn, uuid.UUID(caller.user_id))
        if user is None:
            raise NotFound("the account no longer exists")
        return user

    # -- admin ----------------------------------------------------------------------------

    async def list_users(self, page_size: int, page_token: str) -> tuple[list[User], str]:
        limit = clamp_limit(page_size)
        cursor = Cursor.decode(page_token) if page_token else None
        async with self._engine.connect() as conn:
            found = await repository.list_users(conn, limit, cursor)
        return found, _next_token(found, limit)

    async def set_role(self, user_id: str, role: str) -> User:
        rules.check_assignable(role)
        target = _uuid(user_id, "user")
        async with self._engine.begin() as conn:
            user = await repository.set_role(conn, target, role)
            skipped = user is None and await repository.get_user(conn, target) is not None
        if skipped:  # the update leaves out service accounts, and only them
            raise InvalidInput("a service account's role cannot change", code="01")
        if user is None:
            raise NotFound("no such user")
        return user

    async def ensure_admin(self, email: str, password: str | None) -> User:
        """For the admin CLI: promote an existing account, or create it as an admin."""
        email = emails.normalise(email)
        async with self._engine.connect() as conn:
            found = await repository.user_with_hash(conn, email)
        if found is not None:
            return await self.set_role(str(found[0].id), ADMIN)
        if password is None:
            raise InvalidInput("no such account; give a password to create it", code="01")
        return await self.register(email, password, role=ADMIN)

    # -- API keys -------------------------------------------------------------------------

    async def create_api_key(self, caller: Principal, name: str) -> tuple[ApiKey, str]:
        name = rules.new_key_name(caller, name)
        secret = api_keys.generate()
        async with self._engine.begin() as conn:
            key = await repository.insert_api_key(
                conn,
                uuid.UUID(caller.user_id),
                name,
                secret[: api_keys.SHOWN_CHARS],
                api_keys.digest(secret),
            )
        return key, secret

    async def list_api_keys(
        self, caller: Principal, page_size: int, page_token: str
    ) -> tuple[list[ApiKey], str]:
        rules.check_manages_keys(caller)
        limit = clamp_limit(page_size)
        cursor = Cursor.decode(page_token) if page_token else None
        async with self._engine.connect() as conn:
            found = await repository.list_api_keys(conn, uuid.UUID(caller.user_id), limit, cursor)
        return found, _next_token(found, limit)

    async def revoke_api_key(self, caller: Principal, key_id: str) -> None:
        rules.check_revokes_key(caller, key_id)
        now = self._clock()
        async with self._engine.begin() as conn:
            revoked = await repository.revoke_api_key(
                conn, uuid.UUID(caller.user_id), _uuid(key_id, "API key"), now
            )
            if revoked:
                # Every gateway replica caches keys; this tells them all to forget this one.
                event = events_pb2.ApiKeyRevoked(
                    event_id=str(uuid.uuid4()),
                    owner_id=caller.user_id,
                    api_key_id=str(_uuid(key_id, "API key")),
                )
                event.occurred_at.FromDatetime(now)
                await enqueue(conn, outbox, API_KEY_REVOKED, event.SerializeToString())
        if not revoked:
            raise NotFound("no such API key")
        self._on_event()

    async def authenticate_api_key(self, secret: str) -> ApiKeyIdentity:
        if not secret.startswith(api_keys.PREFIX):
            raise Unauthenticated("invalid API key")
        now = self._clock()
        async with self._engine.begin() as conn:
            found = await repository.use_api_key(conn, api_keys.digest(secret), now)
        if found is None:
            raise Unauthenticated("invalid API key")
        key_id, user = found
        token = self._issuer.access(user.id, user.role, now, api_key_id=key_id)
        return ApiKeyIdentity(
            user.id, user.role, key_id, token, int(self._issuer.access_ttl.total_seconds())
        )

    # -- helpers --------------------------------------------------------------------------

    async def _issue(
        self,
        conn: AsyncConnection,
        user: User,
        family_id: uuid.UUID,
        now: datetime,
        replaces: uuid.UUID | None = None,
    ) -> TokenPair:
        issued = self._issuer.refresh(user.id, family_id, now)
        await repository.insert_refresh(conn, user.id, issued)
        if replaces is not None:
            await repository.set_successor(conn, replaces, issued.jti)
        return TokenPair(
            access_token=self._issuer.access(user.id, user.role, now),
            refresh_token=issued.token,
            expires_in=int(self._issuer.access_ttl.total_seconds()),
            refresh_expires_in=int(self._issuer.refresh_ttl.total_seconds()),
        )

    def _again(self, user: User, successor: Any, now: datetime) -> TokenPair:
        """The successor refresh token a race's winner got, signed again (the same token), with
        a new access token."""
        issued = self._issuer.refresh(
            user.id, successor.family_id, successor.issued_at, jti=successor.id
        )
        return TokenPair(
            access_token=self._issuer.access(user.id, user.role, now),
            refresh_token=issued.token,
            expires_in=int(self._issuer.access_ttl.total_seconds()),
            refresh_expires_in=int((successor.expires_at - now).total_seconds()),
        )

    async def _refresh_claims(self, token: str) -> tuple[uuid.UUID, uuid.UUID]:
        """The token's id and user, once its signature, issuer, audience, expiry and type hold."""
        try:
            claims = await self._verifier.claims(token, REFRESH)
            return uuid.UUID(str(claims["jti"])), uuid.UUID(str(claims["sub"]))
        except (InvalidToken, ValueError):
            raise Unauthenticated("invalid refresh token") from None


def _uuid(value: str, what: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise NotFound(f"no such {what}") from None


def _next_token(page: list, limit: int) -> str:
    if len(page) < limit:
        return ""
    last = page[-1]
    return Cursor(last.created_at, last.id).encode()
