"""Wiring of the auth process: signing key, token issuer and verifier, throttle, database."""

from collections.abc import Callable
from datetime import timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from nats.js.api import RetentionPolicy, StorageType, StreamConfig
from sqlalchemy.ext.asyncio import AsyncEngine

from inferlane.auth.v1 import auth_service_pb2_grpc
from inferlane.common.auth.interceptor import AuthInterceptor
from inferlane.common.auth.keys import SigningKey
from inferlane.common.auth.verify import TokenVerifier, keys_from_jwks
from inferlane.common.clock import Clock, utc_now
from inferlane.common.db import make_engine, readiness_check
from inferlane.common.events import EventPublisher
from inferlane.common.grpc.server import GrpcProcess, Registration
from inferlane.common.migrations import schema_check
from services.auth.service import AuthService
from services.auth.service_accounts import provision
from services.auth.servicer import PUBLIC_METHODS, SERVICE_NAME, AuthServicer
from services.auth.settings import AuthSettings
from services.auth.tables import outbox
from services.auth.throttle import Limits, LoginThrottle
from services.auth.tokens import TokenIssuer

AUTH_EVENTS = StreamConfig(
    name="AUTH_EVENTS",
    description="Account events (auth.user.registered, auth.api_key.revoked), kept a week.",
    subjects=["auth.>"],
    retention=RetentionPolicy.LIMITS,
    storage=StorageType.FILE,
    max_age=7 * 24 * 3600.0,
    duplicate_window=120.0,  # Nats-Msg-Id dedupe of outbox re-publishes
)


def signing_key(settings: AuthSettings) -> SigningKey:
    if settings.signing_key is not None:
        return SigningKey.from_pem(settings.signing_key.get_secret_value().encode())
    return SigningKey.load_or_create(settings.signing_key_file)


def auth_service(
    settings: AuthSettings,
    engine: AsyncEngine,
    clock: Clock = utc_now,
    on_event: Callable[[], None] = lambda: None,
) -> tuple[AuthService, TokenVerifier, list[dict[str, str]]]:
    key = signing_key(settings)
    jwks = [key.jwk, *settings.retired_public_keys]
    known = keys_from_jwks(jwks)

    async def lookup(kid: str) -> Ed25519PublicKey | None:
        return known.get(kid)

    verifier = TokenVerifier(
        lookup, issuer=settings.jwt_issuer, audience=settings.jwt_audience, clock=clock
    )
    issuer = TokenIssuer(
        key,
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
        access_ttl=settings.access_ttl,
        refresh_ttl=settings.refresh_ttl,
    )
    window, lockout = (
        timedelta(seconds=settings.login_window_seconds),
        timedelta(seconds=settings.login_lockout_seconds),
    )
    throttle = LoginThrottle(
        per_account=Limits(settings.login_max_failures, window, lockout),
        per_address=Limits(settings.login_max_failures_per_address, window, lockout),
    )
    service = AuthService(
        engine,
        issuer,
        verifier,
        throttle,
        refresh_grace=timedelta(seconds=settings.refresh_grace_seconds),
        clock=clock,
        on_event=on_event,
    )
    return service, verifier, jwks


async def build(settings: AuthSettings, clock: Clock = utc_now) -> GrpcProcess:
    engine = make_engine(settings.database_url)
    events = EventPublisher(
        engine,
        outbox,
        settings.nats_url,
        name="auth",
        streams=[AUTH_EVENTS],
        replicas=settings.nats_stream_replicas,
    )
    service, verifier, jwks = auth_service(settings, engine, clock, events.notify)
    await provision(engine, settings.service_accounts, clock)
    return GrpcProcess(
        name="auth",
        settings=settings,
        registrations=[
            Registration(
                SERVICE_NAME,
                auth_service_pb2_grpc.add_AuthServiceServicer_to_server,
                AuthServicer(service, jwks),
            )
        ],
        checks={
            "postgres": readiness_check(engine),
            "schema": schema_check(engine, "auth"),
        },
        background=[events.run],
        on_stop=[events.close, engine.dispose],
        # Acting for a user is for data calls; here it could mint that user's API keys.
        auth=AuthInterceptor(verifier, PUBLIC_METHODS, allow_acting=False),
    )
