"""Signed JWTs: short-lived access tokens and rotating refresh tokens (RFC 8725, RFC 9700)."""

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import jwt

from inferlane.common.auth.keys import ALGORITHM, SigningKey
from inferlane.common.auth.verify import ACCESS, API_KEY_CLAIM, REFRESH


@dataclass(frozen=True)
class IssuedRefresh:
    token: str
    jti: uuid.UUID
    family_id: uuid.UUID
    issued_at: datetime
    expires_at: datetime


class TokenIssuer:
    def __init__(
        self,
        key: SigningKey,
        *,
        issuer: str,
        audience: str,
        access_ttl: timedelta,
        refresh_ttl: timedelta,
    ) -> None:
        self._key = key
        self._issuer = issuer
        self._audience = audience
        self.access_ttl = access_ttl
        self.refresh_ttl = refresh_ttl

    def _sign(self, claims: dict[str, object], media_type: str) -> str:
        # The header `typ` (RFC 8725 §3.11) and the `typ` claim both name the token's use.
        headers = {"kid": self._key.kid, "typ": media_type}
        return jwt.encode(claims, self._key.private, algorithm=ALGORITHM, headers=headers)

    def _base(
        self, user_id: uuid.UUID, now: datetime, ttl: timedelta, jti: uuid.UUID
    ) -> dict[str, object]:
        return {
            "iss": self._issuer,
            "aud": self._audience,
            "sub": str(user_id),
            "iat": int(now.timestamp()),
            "exp": int((now + ttl).timestamp()),
            "jti": str(jti),
        }

    def access(
        self,
        user_id: uuid.UUID,
        role: str,
        now: datetime,
        ttl: timedelta | None = None,
        api_key_id: uuid.UUID | None = None,
    ) -> str:
        """With `api_key_id`, the token stands for that API key (API_KEY_CLAIM), not a session."""
        claims = self._base(user_id, now, ttl or self.access_ttl, uuid.uuid4())
        if api_key_id is not None:
            claims[API_KEY_CLAIM] = str(api_key_id)
        return self._sign({**claims, "typ": ACCESS, "role": role}, "at+jwt")

    def refresh(
        self,
        user_id: uuid.UUID,
        family_id: uuid.UUID,
        now: datetime,
        jti: uuid.UUID | None = None,
    ) -> IssuedRefresh:
        """With the `jti` and `now` of a token issued before, the same token again: EdDSA
        signatures are deterministic (a refresh race hands every racer the one successor)."""
        jti = jti or uuid.uuid4()
        claims = self._base(user_id, now, self.refresh_ttl, jti)
        token = self._sign({**claims, "typ": REFRESH, "fam": str(family_id)}, "rt+jwt")
        return IssuedRefresh(token, jti, family_id, now, now + self.refresh_ttl)
