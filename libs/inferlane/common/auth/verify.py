"""Offline verification of access tokens, to the letter of RFC 8725.

The algorithm is pinned (EdDSA: `none` and HS256-with-the-public-key cannot pass), the key
is chosen by `kid` among known keys only, and iss, aud, exp, typ and every claim are required.
"""

from collections.abc import Awaitable, Callable
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from inferlane.common.auth.keys import ALGORITHM, public_key_from_jwk
from inferlane.common.auth.principal import ROLES, Principal
from inferlane.common.clock import Clock, utc_now

ACCESS, REFRESH = "access", "refresh"
REQUIRED_CLAIMS = ["iss", "aud", "sub", "exp", "iat", "jti", "typ"]
# In an access token minted for an API key: the key's id (such a caller is not signed in).
API_KEY_CLAIM = "api_key"
KeyLookup = Callable[[str], Awaitable[Ed25519PublicKey | None]]


class InvalidToken(Exception):
    """Any reason a token is not accepted; the caller only ever learns 'invalid token'."""


def keys_from_jwks(jwks: list[dict[str, Any]]) -> dict[str, Ed25519PublicKey]:
    return {jwk["kid"]: public_key_from_jwk(jwk) for jwk in jwks if jwk.get("kid")}


class TokenVerifier:
    def __init__(
        self,
        lookup: KeyLookup,
        *,
        issuer: str,
        audience: str,
        leeway: float = 5.0,
        clock: Clock = utc_now,
    ) -> None:
        self._lookup = lookup
        self._issuer = issuer
        self._audience = audience
        self._leeway = leeway
        self._clock = clock

    async def claims(self, token: str, expected_type: str) -> dict[str, Any]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise InvalidToken("malformed token") from exc
        if header.get("alg") != ALGORITHM:
            raise InvalidToken(f"algorithm {header.get('alg')!r} is not accepted")
        kid = header.get("kid")
        key = await self._lookup(kid) if isinstance(kid, str) else None
        if key is None:
            raise InvalidToken("unknown signing key")
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=[ALGORITHM],
                audience=self._audience,
                issuer=self._issuer,
                # Times are checked below against our clock, which tests can move.
                options={"require": REQUIRED_CLAIMS, "verify_exp": False, "verify_iat": False},
            )
        except jwt.PyJWTError as exc:
            raise InvalidToken(str(exc)) from exc
        now = self._clock().timestamp()
        if not isinstance(claims["exp"], int | float) or claims["exp"] <= now - self._leeway:
            raise InvalidToken("token expired")
        if not isinstance(claims["iat"], int | float) or claims["iat"] > now + self._leeway:
            raise InvalidToken("token issued in the future")
        if claims.get("typ") != expected_type:
            raise InvalidToken(f"a {claims.get('typ')} token is not an {expected_type} token")
        return claims

    async def access(self, token: str) -> Principal:
        claims = await self.claims(token, ACCESS)
        role = claims.get("role")
        if role not in ROLES:
            raise InvalidToken("unknown role")
        key = claims.get(API_KEY_CLAIM)
        return Principal(
            user_id=str(claims["sub"]),
            role=str(role),
            token=token,
            api_key_id=str(key) if key is not None else None,
        )
