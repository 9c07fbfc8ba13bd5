"""Tokens over the real auth gRPC API and PostgreSQL: the pair a login returns, rotation of
refresh tokens (one winner, reuse revokes the family, expiry is no reuse signal), logout,
the JWKS, and every tampered access token refused by GetCurrentUser."""

import asyncio
import base64
import hashlib
import hmac
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import grpc
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from google.protobuf.json_format import MessageToDict

from inferlane.auth.v1 import auth_service_pb2 as pb
from inferlane.common.auth.keys import SigningKey, public_key_from_jwk
from services.auth.process import build as build_auth
from services.auth.settings import AuthSettings
from tests.support.accounts import (
    PASSWORD,
    Account,
    MovableClock,
    auth_stub,
    bearer,
    create_account,
    unique_email,
)
from tests.support.in_process import fast

ACCESS_SECONDS = 15 * 60
REFRESH_SECONDS = 14 * 24 * 3600
GRACE_SECONDS = 10  # AUTH_REFRESH_GRACE_SECONDS' default


@dataclass
class ClockedAuth:
    channel: grpc.aio.Channel
    clock: MovableClock


async def start_clocked(
    start_process, migrated_db: str, nats_url: str, tmp_path: Path, **values: Any
):
    clock = MovableClock()
    settings = fast(
        AuthSettings,
        database_url=migrated_db,
        nats_url=nats_url,
        signing_key_file=tmp_path / "clocked.pem",
        **values,
    )
    process = await start_process(lambda s: build_auth(s, clock=clock), settings)
    return process, clock


@pytest.fixture
async def clocked(start_process, migrated_db, nats_url, tmp_path):
    """An auth service whose clock the test moves; refresh tokens last one day."""
    process, clock = await start_clocked(
        start_process, migrated_db, nats_url, tmp_path, refresh_token_days=1
    )
    async with grpc.aio.insecure_channel(process.address) as channel:
        yield ClockedAuth(channel, clock)


def unverified(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    return jwt.get_unverified_header(token), jwt.decode(token, options={"verify_signature": False})


async def refresh(channel: grpc.aio.Channel, token: str) -> pb.RefreshTokensResponse:
    return await auth_stub(channel).RefreshTokens(pb.RefreshTokensRequest(refresh_token=token))


async def refresh_code(channel: grpc.aio.Channel, token: str) -> grpc.StatusCode:
    try:
        await refresh(channel, token)
    except grpc.aio.AioRpcError as exc:
        return exc.code()
    return grpc.StatusCode.OK


async def me_code(channel: grpc.aio.Channel, token: str) -> grpc.StatusCode:
    try:
        await auth_stub(channel).GetCurrentUser(pb.GetCurrentUserRequest(), metadata=bearer(token))
    except grpc.aio.AioRpcError as exc:
        return exc.code()
    return grpc.StatusCode.OK


async def jwks(channel: grpc.aio.Channel) -> list[dict[str, str]]:
    reply = await auth_stub(channel).GetJwks(pb.GetJwksRequest())
    return [MessageToDict(k, preserving_proto_field_name=True) for k in reply.keys]


# -- login ------------------------------------------------------------------------------


async def test_login_returns_a_bearer_token_pair_with_its_lifetimes(auth_channel):
    email = unique_email()
    await create_account(auth_channel, email)

    pair = (
        await auth_stub(auth_channel).Login(pb.LoginRequest(email=email, password=PASSWORD))
    ).token_pair

    assert pair.token_type.lower() == "bearer"
    assert pair.expires_in == ACCESS_SECONDS
    assert pair.refresh_expires_in == REFRESH_SECONDS
    assert pair.access_token and pair.refresh_token
    assert pair.access_token != pair.refresh_token


async def test_access_token_is_eddsa_signed_with_a_published_kid_and_has_every_claim(
    auth_channel,
):
    account = await create_account(auth_channel)
    header, _ = unverified(account.access_token)
    [published] = [k for k in await jwks(auth_channel) if k["kid"] == header.get("kid")]

    claims = jwt.decode(
        account.access_token,
        public_key_from_jwk(published),
        algorithms=["EdDSA"],
        audience="inferlane",
        issuer="inferlane-auth",
    )

    assert header["alg"] == "EdDSA"
    assert set(claims) >= {"iss", "aud", "sub", "exp", "iat", "jti", "typ", "role"}
    assert claims["sub"] == account.user_id
    assert claims["typ"] == "access"
    assert claims["role"] == "user"
    assert claims["exp"] - claims["iat"] == ACCESS_SECONDS
    assert uuid.UUID(claims["jti"])
    assert abs(claims["iat"] - datetime.now(UTC).timestamp()) < 60


async def test_refresh_token_is_typed_refresh_and_lives_14_days(auth_channel):
    account = await create_account(auth_channel)

    header, claims = unverified(account.refresh_token)

    assert header["alg"] == "EdDSA"
    assert claims["typ"] == "refresh"
    assert claims["sub"] == account.user_id
    assert claims["exp"] - claims["iat"] == REFRESH_SECONDS


async def test_wrong_password_and_unknown_email_fail_with_identical_words(auth_channel):
    account = await create_account(auth_channel)
    stub = auth_stub(auth_channel)

    with pytest.raises(grpc.aio.AioRpcError) as wrong_password:
        await stub.Login(pb.LoginRequest(email=account.email, password="not the password!"))
    with pytest.raises(grpc.aio.AioRpcError) as unknown_email:
        await stub.Login(pb.LoginRequest(email=unique_email("nobody"), password=PASSWORD))

    assert wrong_password.value.code() == grpc.StatusCode.UNAUTHENTICATED
    assert unknown_email.value.code() == grpc.StatusCode.UNAUTHENTICATED
    assert wrong_password.value.details() == unknown_email.value.details()
    assert wrong_password.value.trailing_metadata() == unknown_email.value.trailing_metadata()


# -- refresh ----------------------------------------------------------------------------


async def test_refresh_rotates_into_a_new_pair_with_new_ids(auth_channel):
    account = await create_account(auth_channel)

    pair = (await refresh(auth_channel, account.refresh_token)).token_pair

    assert pair.refresh_token != account.refresh_token
    assert pair.access_token != account.access_token
    assert pair.expires_in == ACCESS_SECONDS and pair.refresh_expires_in == REFRESH_SECONDS
    old_refresh, new_refresh = (
        unverified(account.refresh_token)[1],
        unverified(pair.refresh_token)[1],
    )
    assert new_refresh["jti"] != old_refresh["jti"]
    assert unverified(pair.access_token)[1]["jti"] != unverified(account.access_token)[1]["jti"]
    assert await me_code(auth_channel, pair.access_token) == grpc.StatusCode.OK


async def test_reused_refresh_token_revokes_family(clocked):
    auth_channel = clocked.channel
    account = await create_account(auth_channel)
    second = (await refresh(auth_channel, account.refresh_token)).token_pair
    third = (await refresh(auth_channel, second.refresh_token)).token_pair
    clocked.clock.advance(seconds=GRACE_SECONDS + 1)  # past a race: a replay

    assert await refresh_code(auth_channel, account.refresh_token) == (
        grpc.StatusCode.UNAUTHENTICATED
    )
    # The newest token of the family, never used, no longer works either.
    assert await refresh_code(auth_channel, third.refresh_token) == (
        grpc.StatusCode.UNAUTHENTICATED
    )


async def test_reuse_revokes_only_its_own_family(clocked):
    auth_channel = clocked.channel
    account = await create_account(auth_channel)
    other_session = (
        await auth_stub(auth_channel).Login(pb.LoginRequest(email=account.email, password=PASSWORD))
    ).token_pair
    await refresh(auth_channel, account.refresh_token)
    clocked.clock.advance(seconds=GRACE_SECONDS + 1)

    assert await refresh_code(auth_channel, account.refresh_token) == (
        grpc.StatusCode.UNAUTHENTICATED
    )
    assert await refresh_code(auth_channel, other_session.refresh_token) == grpc.StatusCode.OK


async def test_fifty_concurrent_refreshes_of_one_token_share_one_successor(clocked):
    """Two tabs refreshing at once must not sign each other out (the grace period). The clock
    stands still, so the race is within the grace period however slow the machine."""
    auth_channel = clocked.channel
    account = await create_account(auth_channel)

    replies = await asyncio.gather(
        *(refresh(auth_channel, account.refresh_token) for _ in range(50))
    )

    successors = {reply.token_pair.refresh_token for reply in replies}
    assert len(successors) == 1
    [successor] = successors
    assert await refresh_code(auth_channel, successor) == grpc.StatusCode.OK  # not revoked


async def test_a_reuse_within_the_grace_period_revokes_nothing_and_later_one_does(clocked):
    channel, clock = clocked.channel, clocked.clock
    account = await create_account(channel)
    first = (await refresh(channel, account.refresh_token)).token_pair
    clock.advance(seconds=GRACE_SECONDS - 1)

    again = (await refresh(channel, account.refresh_token)).token_pair

    assert again.refresh_token == first.refresh_token
    assert await me_code(channel, again.access_token) == grpc.StatusCode.OK
    clock.advance(seconds=2)  # now past the grace period: a replay
    assert await refresh_code(channel, account.refresh_token) == grpc.StatusCode.UNAUTHENTICATED
    assert await refresh_code(channel, first.refresh_token) == grpc.StatusCode.UNAUTHENTICATED


async def test_an_access_token_is_not_a_refresh_token(auth_channel):
    account = await create_account(auth_channel)

    assert await refresh_code(auth_channel, account.access_token) == (
        grpc.StatusCode.UNAUTHENTICATED
    )
    assert await refresh_code(auth_channel, "garbage") == grpc.StatusCode.UNAUTHENTICATED
    assert await refresh_code(auth_channel, account.refresh_token) == grpc.StatusCode.OK


async def test_an_expired_refresh_token_is_rejected_but_is_no_reuse_signal(clocked):
    channel, clock = clocked.channel, clocked.clock
    first = await create_account(channel)  # R1 expires at t0 + 1 day
    clock.advance(hours=12)
    second = (await refresh(channel, first.refresh_token)).token_pair  # R2: t0 + 36 h
    assert second.refresh_expires_in == 24 * 3600
    clock.advance(hours=13)  # t0 + 25 h: R1 has expired, R2 has not

    assert await refresh_code(channel, first.refresh_token) == grpc.StatusCode.UNAUTHENTICATED
    third = (await refresh(channel, second.refresh_token)).token_pair
    assert await me_code(channel, third.access_token) == grpc.StatusCode.OK


async def test_an_unused_refresh_token_expires(clocked):
    account = await create_account(clocked.channel)
    clocked.clock.advance(days=1, minutes=1)

    assert await refresh_code(clocked.channel, account.refresh_token) == (
        grpc.StatusCode.UNAUTHENTICATED
    )


async def test_an_access_token_expires_after_15_minutes(clocked):
    account = await create_account(clocked.channel)
    clocked.clock.advance(minutes=14)
    assert await me_code(clocked.channel, account.access_token) == grpc.StatusCode.OK

    clocked.clock.advance(minutes=2)

    assert await me_code(clocked.channel, account.access_token) == (grpc.StatusCode.UNAUTHENTICATED)


# -- logout -----------------------------------------------------------------------------


async def test_logout_revokes_the_family(auth_channel):
    account = await create_account(auth_channel)
    latest = (await refresh(auth_channel, account.refresh_token)).token_pair

    await auth_stub(auth_channel).Logout(pb.LogoutRequest(refresh_token=latest.refresh_token))

    assert await refresh_code(auth_channel, latest.refresh_token) == (
        grpc.StatusCode.UNAUTHENTICATED
    )


async def test_logout_with_a_spent_token_of_the_family_revokes_the_latest(auth_channel):
    account = await create_account(auth_channel)
    latest = (await refresh(auth_channel, account.refresh_token)).token_pair

    await auth_stub(auth_channel).Logout(pb.LogoutRequest(refresh_token=account.refresh_token))

    assert await refresh_code(auth_channel, latest.refresh_token) == (
        grpc.StatusCode.UNAUTHENTICATED
    )


async def test_logout_leaves_other_sessions_signed_in(auth_channel):
    account = await create_account(auth_channel)
    other = (
        await auth_stub(auth_channel).Login(pb.LoginRequest(email=account.email, password=PASSWORD))
    ).token_pair

    await auth_stub(auth_channel).Logout(pb.LogoutRequest(refresh_token=account.refresh_token))

    assert await refresh_code(auth_channel, other.refresh_token) == grpc.StatusCode.OK


@pytest.mark.parametrize("token", ["", "garbage", "a.b.c", "ilk_not-a-refresh-token"])
async def test_logout_with_garbage_succeeds_silently(auth_channel, token):
    await auth_stub(auth_channel).Logout(pb.LogoutRequest(refresh_token=token))


async def test_logout_with_an_access_token_succeeds_and_revokes_nothing(auth_channel):
    account = await create_account(auth_channel)

    await auth_stub(auth_channel).Logout(pb.LogoutRequest(refresh_token=account.access_token))

    assert await refresh_code(auth_channel, account.refresh_token) == grpc.StatusCode.OK


# -- JWKS -------------------------------------------------------------------------------


def thumbprint(jwk: dict[str, str]) -> str:
    members = json.dumps(
        {k: jwk[k] for k in ("crv", "kty", "x")}, separators=(",", ":"), sort_keys=True
    )
    return base64.urlsafe_b64encode(hashlib.sha256(members.encode()).digest()).rstrip(b"=").decode()


async def test_jwks_publishes_ed25519_public_keys_only(auth_channel, tmp_path):
    keys = await jwks(auth_channel)
    signing = SigningKey.from_pem((tmp_path / "signing-key.pem").read_bytes())

    assert keys
    for key in keys:
        assert key["kty"] == "OKP"
        assert key["crv"] == "Ed25519"
        assert key["alg"] == "EdDSA"
        assert key["use"] == "sig"
        assert key["kid"] == thumbprint(key)  # RFC 7638
        assert "d" not in key
        assert set(key) <= {"kty", "crv", "x", "kid", "alg", "use"}
    assert signing.kid in {k["kid"] for k in keys}
    private = signing.private.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    raw = (await auth_stub(auth_channel).GetJwks(pb.GetJwksRequest())).SerializeToString()
    assert private not in raw
    assert base64.urlsafe_b64encode(private).rstrip(b"=") not in raw


async def test_jwks_needs_no_token(auth_channel):
    assert await jwks(auth_channel)


# -- tampered access tokens -------------------------------------------------------------


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def compact(header: dict[str, Any], claims: dict[str, Any], sign: Callable[[bytes], bytes]) -> str:
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}"
    return f"{signing_input}.{b64(sign(signing_input.encode()))}"


def hs256(secret: bytes) -> Callable[[bytes], bytes]:
    return lambda data: hmac.new(secret, data, hashlib.sha256).digest()


@dataclass
class Forge:
    """Everything a forger could hold in each case, and what the service really issues."""

    key: SigningKey
    account: Account

    def claims(self, **changes: Any) -> dict[str, Any]:
        now = int(datetime.now(UTC).timestamp())
        claims = {
            "iss": "inferlane-auth",
            "aud": "inferlane",
            "sub": self.account.user_id,
            "iat": now,
            "exp": now + 600,
            "jti": str(uuid.uuid4()),
            "typ": "access",
            "role": "user",
            **changes,
        }
        return {k: v for k, v in claims.items() if v is not None}

    def header(self, **changes: Any) -> dict[str, Any]:
        return {"alg": "EdDSA", "typ": "at+jwt", "kid": self.key.kid, **changes}

    def signed(self, claims: dict[str, Any], header: dict[str, Any] | None = None) -> str:
        return compact(header or self.header(), claims, self.key.private.sign)

    def public(self, encoding: serialization.Encoding) -> bytes:
        public_format = (
            serialization.PublicFormat.Raw
            if encoding is serialization.Encoding.Raw
            else serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return self.key.private.public_key().public_bytes(encoding, public_format)


def _stranger(f: Forge, kid: str) -> str:
    stranger = Ed25519PrivateKey.generate()
    return compact(f.header(kid=kid), f.claims(), stranger.sign)


def _modified(f: Forge) -> str:
    header, _, signature = f.account.access_token.split(".")
    claims = unverified(f.account.access_token)[1]
    claims["role"] = "admin"
    return f"{header}.{b64(json.dumps(claims).encode())}.{signature}"


TAMPERED: dict[str, Callable[[Forge], str]] = {
    "alg none": lambda f: compact(f.header(alg="none"), f.claims(), lambda _: b""),
    "alg none without signature": lambda f: (
        compact(f.header(alg="none"), f.claims(), lambda _: b"").rsplit(".", 1)[0] + "."
    ),
    "HS256 with the raw public key": lambda f: compact(
        f.header(alg="HS256"), f.claims(), hs256(f.public(serialization.Encoding.Raw))
    ),
    "HS256 with the PEM public key": lambda f: compact(
        f.header(alg="HS256"), f.claims(), hs256(f.public(serialization.Encoding.PEM))
    ),
    "unknown key, made-up kid": lambda f: _stranger(f, "made-up-kid"),
    "unknown key, real kid": lambda f: _stranger(f, f.key.kid),
    "no kid": lambda f: f.signed(f.claims(), {"alg": "EdDSA", "typ": "at+jwt"}),
    "refresh token as access token": lambda f: f.account.refresh_token,
    "expired": lambda f: f.signed(f.claims(iat=1_600_000_000, exp=1_600_000_900)),
    "wrong aud": lambda f: f.signed(f.claims(aud="someone-else")),
    "wrong iss": lambda f: f.signed(f.claims(iss="https://evil.example")),
    "missing jti": lambda f: f.signed(f.claims(jti=None)),
    "missing typ": lambda f: f.signed(f.claims(typ=None)),
    "missing exp": lambda f: f.signed(f.claims(exp=None)),
    "missing sub": lambda f: f.signed(f.claims(sub=None)),
    "typ refresh": lambda f: f.signed(f.claims(typ="refresh")),
    "unknown role": lambda f: f.signed(f.claims(role="root")),
    "payload modified after signing": _modified,
    "issued in the future": lambda f: f.signed(
        f.claims(iat=int(datetime.now(UTC).timestamp()) + 3600)
    ),
}


@pytest.fixture
async def forge(auth_channel, tmp_path) -> Forge:
    account = await create_account(auth_channel)
    return Forge(SigningKey.from_pem((tmp_path / "signing-key.pem").read_bytes()), account)


async def test_a_token_forged_with_the_real_key_and_nothing_wrong_is_accepted(auth_channel, forge):
    """The control: each tampered token below differs from this one in one way only."""
    assert await me_code(auth_channel, forge.signed(forge.claims())) == grpc.StatusCode.OK
    assert await me_code(auth_channel, forge.account.access_token) == grpc.StatusCode.OK


@pytest.mark.parametrize("case", list(TAMPERED))
async def test_get_current_user_refuses_a_tampered_token(auth_channel, forge, case):
    token = TAMPERED[case](forge)

    assert await me_code(auth_channel, token) == grpc.StatusCode.UNAUTHENTICATED
