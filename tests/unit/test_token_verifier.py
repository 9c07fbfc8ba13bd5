"""TokenVerifier on its own (no I/O): tokens crafted with pyjwt and cryptography, a fixed
clock, keys looked up by kid. Every variant of RFC 8725's attacks is refused."""

import base64
import hashlib
import hmac
import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from inferlane.common.auth.keys import SigningKey, public_jwk
from inferlane.common.auth.verify import InvalidToken, TokenVerifier, keys_from_jwks
from inferlane.common.principal import Principal

ISSUER, AUDIENCE = "inferlane-auth", "inferlane"
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
KEY = SigningKey.generate()
RETIRED = SigningKey.generate()
USER_ID = str(uuid.uuid4())


def verifier(now: datetime = NOW) -> TokenVerifier:
    known = keys_from_jwks([KEY.jwk, RETIRED.jwk])

    async def lookup(kid: str):
        return known.get(kid)

    return TokenVerifier(lookup, issuer=ISSUER, audience=AUDIENCE, clock=lambda: now)


def claims(**changes: Any) -> dict[str, Any]:
    """Valid access-token claims at NOW; a change to None drops the claim."""
    values = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": USER_ID,
        "iat": int(NOW.timestamp()),
        "exp": int((NOW + timedelta(minutes=15)).timestamp()),
        "jti": str(uuid.uuid4()),
        "typ": "access",
        "role": "user",
        **changes,
    }
    return {k: v for k, v in values.items() if v is not None}


def signed(payload: dict[str, Any], key: SigningKey = KEY, **headers: Any) -> str:
    return jwt.encode(
        payload,
        key.private,
        algorithm="EdDSA",
        headers={"kid": key.kid, "typ": "at+jwt", **headers},
    )


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def compact(header: dict[str, Any], payload: dict[str, Any], sign: Callable[[bytes], bytes]) -> str:
    """By hand, for what pyjwt refuses to make (alg none, HMAC keyed with a public key)."""
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(payload).encode())}"
    return f"{signing_input}.{b64(sign(signing_input.encode()))}"


def hs256_with(secret: bytes) -> str:
    header = {"alg": "HS256", "typ": "JWT", "kid": KEY.kid}
    return compact(header, claims(), lambda data: hmac.new(secret, data, hashlib.sha256).digest())


def public_bytes(encoding: serialization.Encoding) -> bytes:
    public_format = (
        serialization.PublicFormat.Raw
        if encoding is serialization.Encoding.Raw
        else serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return KEY.private.public_key().public_bytes(encoding, public_format)


def stranger_signed(kid: str) -> str:
    stranger = Ed25519PrivateKey.generate()
    return jwt.encode(claims(), stranger, algorithm="EdDSA", headers={"kid": kid})


def modified_after_signing() -> str:
    header, _, signature = signed(claims()).split(".")
    return f"{header}.{b64(json.dumps(claims(role='admin')).encode())}.{signature}"


def refresh_token() -> str:
    payload = claims(typ="refresh", role=None, fam=str(uuid.uuid4()))
    payload["exp"] = int((NOW + timedelta(days=14)).timestamp())
    return signed(payload, typ="rt+jwt")


TAMPERED: dict[str, Callable[[], str]] = {
    "alg none": lambda: compact({"alg": "none", "kid": KEY.kid}, claims(), lambda _: b""),
    "alg none, no kid": lambda: compact({"alg": "none"}, claims(), lambda _: b""),
    "alg None spelled otherwise": lambda: compact(
        {"alg": "None", "kid": KEY.kid}, claims(), lambda _: b""
    ),
    "HS256 keyed with the raw public key": lambda: hs256_with(
        public_bytes(serialization.Encoding.Raw)
    ),
    "HS256 keyed with the PEM public key": lambda: hs256_with(
        public_bytes(serialization.Encoding.PEM)
    ),
    "HS256 keyed with the public JWK's x": lambda: hs256_with(KEY.jwk["x"].encode()),
    "RS256 header on an EdDSA signature": lambda: compact(
        {"alg": "RS256", "kid": KEY.kid}, claims(), KEY.private.sign
    ),
    "unknown key, made-up kid": lambda: stranger_signed("made-up-kid"),
    "unknown key, real kid": lambda: stranger_signed(KEY.kid),
    "unknown key, retired kid": lambda: stranger_signed(RETIRED.kid),
    "no kid": lambda: jwt.encode(claims(), KEY.private, algorithm="EdDSA"),
    "kid not a string": lambda: compact({"alg": "EdDSA", "kid": 7}, claims(), KEY.private.sign),
    "signed with the retired key under the current kid": lambda: signed(
        claims(), RETIRED, kid=KEY.kid
    ),
    "refresh token": refresh_token,
    "typ refresh": lambda: signed(claims(typ="refresh")),
    "typ something else": lambda: signed(claims(typ="id")),
    "expired": lambda: signed(
        claims(
            iat=int((NOW - timedelta(minutes=30)).timestamp()),
            exp=int((NOW - timedelta(minutes=1)).timestamp()),
        )
    ),
    "exp not a number": lambda: signed(claims(exp="tomorrow")),
    "wrong aud": lambda: signed(claims(aud="someone-else")),
    "wrong iss": lambda: signed(claims(iss="https://evil.example")),
    "missing iss": lambda: signed(claims(iss=None)),
    "missing aud": lambda: signed(claims(aud=None)),
    "missing sub": lambda: signed(claims(sub=None)),
    "missing exp": lambda: signed(claims(exp=None)),
    "missing iat": lambda: signed(claims(iat=None)),
    "missing jti": lambda: signed(claims(jti=None)),
    "missing typ": lambda: signed(claims(typ=None)),
    "missing role": lambda: signed(claims(role=None)),
    "unknown role": lambda: signed(claims(role="root")),
    "payload modified after signing": modified_after_signing,
    "issued in the future": lambda: signed(claims(iat=int((NOW + timedelta(hours=1)).timestamp()))),
    "signature stripped": lambda: signed(claims()).rsplit(".", 1)[0] + ".",
    "not a JWT": lambda: "not-a-jwt",
    "empty": lambda: "",
}


@pytest.mark.parametrize("case", list(TAMPERED))
async def test_a_tampered_access_token_is_refused(case):
    with pytest.raises(InvalidToken):
        await verifier().access(TAMPERED[case]())


async def test_a_valid_access_token_gives_the_principal():
    token = signed(claims(role="admin"))

    principal = await verifier().access(token)

    assert principal == Principal(user_id=USER_ID, role="admin", token=token)
    assert principal.is_admin


async def test_a_token_of_a_retired_key_still_verifies():
    principal = await verifier().access(signed(claims(), RETIRED))

    assert principal.user_id == USER_ID


async def test_an_audience_list_that_names_us_is_accepted():
    principal = await verifier().access(signed(claims(aud=["other", AUDIENCE])))

    assert principal.role == "user"


async def test_a_refresh_token_verifies_only_as_a_refresh_token():
    token = refresh_token()

    found = await verifier().claims(token, "refresh")

    assert found["typ"] == "refresh" and found["sub"] == USER_ID
    with pytest.raises(InvalidToken):
        await verifier().claims(token, "access")


async def test_expiry_follows_the_injected_clock_with_a_few_seconds_of_leeway():
    token = signed(claims())
    exp = NOW + timedelta(minutes=15)

    await verifier(exp + timedelta(seconds=4)).access(token)
    with pytest.raises(InvalidToken):
        await verifier(exp + timedelta(seconds=6)).access(token)


async def test_iat_follows_the_injected_clock_with_a_few_seconds_of_leeway():
    await verifier().access(signed(claims(iat=int(NOW.timestamp()) + 4)))
    with pytest.raises(InvalidToken):
        await verifier().access(signed(claims(iat=int(NOW.timestamp()) + 6)))


async def test_a_token_is_judged_by_the_clock_not_by_the_wall_time():
    """Issued and valid in 2026 per the clock, whatever the machine's own date."""
    later = NOW + timedelta(days=400)
    token = signed(
        claims(iat=int(later.timestamp()), exp=int((later + timedelta(minutes=15)).timestamp()))
    )

    with pytest.raises(InvalidToken):
        await verifier(NOW).access(token)
    assert (await verifier(later).access(token)).user_id == USER_ID


async def test_a_key_lookup_is_by_kid_only():
    asked: list[str] = []

    async def lookup(kid: str):
        asked.append(kid)
        return None

    subject = TokenVerifier(lookup, issuer=ISSUER, audience=AUDIENCE, clock=lambda: NOW)
    with pytest.raises(InvalidToken):
        await subject.access(signed(claims()))

    assert asked == [KEY.kid]


async def test_keys_from_jwks_ignores_keys_without_kid_and_refuses_other_key_types():
    jwk = public_jwk(KEY.private.public_key())
    assert set(keys_from_jwks([jwk, {**jwk, "kid": ""}])) == {KEY.kid}
    with pytest.raises(ValueError):
        keys_from_jwks([{"kty": "RSA", "kid": "r", "n": "AQAB", "e": "AQAB"}])


class Moving:
    """A verifier whose clock and known keys a test can change."""

    def __init__(self, max_cached: int = 10_000) -> None:
        self.now = NOW
        self.known = keys_from_jwks([KEY.jwk])
        self.subject = TokenVerifier(
            self.lookup,
            issuer=ISSUER,
            audience=AUDIENCE,
            clock=lambda: self.now,
            max_cached=max_cached,
        )

    async def lookup(self, kid: str):
        return self.known.get(kid)


@pytest.fixture
def counted_decodes(monkeypatch):
    calls = []
    real = jwt.decode
    monkeypatch.setattr(jwt, "decode", lambda *a, **k: calls.append(1) or real(*a, **k))
    return calls


async def test_an_accepted_token_is_checked_in_full_once(counted_decodes):
    moving = Moving()
    token = signed(claims())

    first = await moving.subject.access(token)
    again = await moving.subject.access(token)

    assert again == first
    assert len(counted_decodes) == 1


async def test_a_remembered_token_still_expires(counted_decodes):
    moving = Moving()
    token = signed(claims(exp=int((NOW + timedelta(minutes=1)).timestamp())))
    await moving.subject.access(token)

    moving.now = NOW + timedelta(minutes=1, seconds=6)  # past exp + the 5 s leeway
    with pytest.raises(InvalidToken, match="expired"):
        await moving.subject.access(token)


async def test_a_remembered_token_of_a_key_rotated_out_is_refused():
    moving = Moving()
    token = signed(claims())
    await moving.subject.access(token)

    moving.known = keys_from_jwks([RETIRED.jwk])  # the JWKS no longer lists KEY
    with pytest.raises(InvalidToken, match="unknown signing key"):
        await moving.subject.access(token)


async def test_a_refused_token_is_not_remembered(counted_decodes):
    moving = Moving()
    token = signed(claims(role="root"))
    for _ in range(2):
        with pytest.raises(InvalidToken):
            await moving.subject.access(token)
    assert len(counted_decodes) == 2


async def test_the_remembered_tokens_are_bounded(counted_decodes):
    moving = Moving(max_cached=2)
    tokens = [signed(claims()) for _ in range(3)]
    for token in tokens:
        await moving.subject.access(token)
    await moving.subject.access(tokens[2])  # kept: the newest
    assert len(counted_decodes) == 3
    await moving.subject.access(tokens[0])  # dropped as the oldest: checked again
    assert len(counted_decodes) == 4
