"""Offline verification of access tokens, to the letter of RFC 8725.

The algorithm is pinned (EdDSA: `none` and HS256-with-the-public-key cannot pass), the key
is chosen by `kid` among known keys only, and iss, aud, exp, typ and every claim are required.
"""

from collections.abc import Awaitable, Callable
from typing import Any, NamedTuple

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from inferlane.common.auth.keys import ALGORITHM, public_key_from_jwk
from inferlane.common.clock import Clock, utc_now
from inferlane.common.principal import ROLES, Principal

ACCESS, REFRESH = "access", "refresh"
REQUIRED_CLAIMS = ["iss", "aud", "sub", "exp", "iat", "jti", "typ"]
# In an access token minted for an API key: the key's id (such a caller is not signed in).
API_KEY_CLAIM = "api_key"
KeyLookup = Callable[[str], Awaitable[Ed25519PublicKey | None]]


class InvalidToken(Exception):
    """Any reason a token is not accepted; the caller only ever learns 'invalid token'."""


def keys_from_jwks(jwks: list[dict[str, Any]]) -> dict[str, Ed25519PublicKey]:
    return {jwk["kid"]: public_key_from_jwk(jwk) for jwk in jwks if jwk.get("kid")}


class _Verified(NamedTuple):
    caller: Principal
    kid: str
    key: Ed25519PublicKey
    expires: float  # exp + leeway: the instant the full check would start refusing it


class TokenVerifier:
    """`access` remembers the access tokens it accepted (at most `max_cached`), each until
    its own expiry and only while its signing key is still known: a request's token is
    checked in full once, not again at every hop (gateway, then each service). Access tokens
    are never revoked (they are short-lived; refresh tokens and API keys are what revocation
    stops), so a remembered one is exactly as valid as when it was checked."""

    def __init__(
        self,
        lookup: KeyLookup,
        *,
        issuer: str,
        audience: str,
        leeway: float = 5.0,
        clock: Clock = utc_now,
        max_cached: int = 10_000,
    ) -> None:
        self._lookup = lookup
        self._issuer = issuer
        self._audience = audience
        self._leeway = leeway
        self._clock = clock
        self._verified: dict[str, _Verified] = {}
        self._max_cached = max_cached

    async def claims(self, token: str, expected_type: str) -> dict[str, Any]:
        claims, _, _ = await self._checked(token, expected_type)
        return claims

    async def _checked(
        self, token: str, expected_type: str
    ) -> tuple[dict[str, Any], str, Ed25519PublicKey]:
        """The claims, and the kid and key that verified them."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise InvalidToken("malformed token") from exc
        if header.get("alg") != ALGORITHM:
            raise InvalidToken(f"algorithm {header.get('alg')!r} is not accepted")
        kid = header.get("kid")
        key = await self._lookup(kid) if isinstance(kid, str) else None
        if key is None or not isinstance(kid, str):
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
        return claims, kid, key

    async def access(self, token: str) -> Principal:
        if (caller := await self._remembered(token)) is not None:
            return caller
        claims, kid, signing_key = await self._checked(token, ACCESS)
        role = claims.get("role")
        if role not in ROLES:
            raise InvalidToken("unknown role")
        key = claims.get(API_KEY_CLAIM)
        caller = Principal(
            user_id=str(claims["sub"]),
            role=str(role),
            token=token,
            api_key_id=str(key) if key is not None else None,
        )
        self._remember(token, _Verified(caller, kid, signing_key, claims["exp"] + self._leeway))
        return caller

    async def _remembered(self, token: str) -> Principal | None:
        hit = self._verified.get(token)
        if hit is None:
            return None
        if hit.expires <= self._clock().timestamp() or await self._lookup(hit.kid) != hit.key:
            self._verified.pop(token, None)  # expired, or its key was rotated out
            return None
        return hit.caller

    def _remember(self, token: str, verified: _Verified) -> None:
        now = self._clock().timestamp()
        if len(self._verified) >= self._max_cached:
            self._verified = {t: v for t, v in self._verified.items() if v.expires > now}
            while len(self._verified) >= self._max_cached:  # still full: drop the oldest
                del self._verified[next(iter(self._verified))]
        self._verified[token] = verified
