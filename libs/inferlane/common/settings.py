"""Typed settings shared by every process; each service subclasses `ServiceSettings`.

Service-specific values use the service's prefix (``AUTH_GRPC_PORT``); values every
process shares (``DATABASE_URL``, ``NATS_URL``, ``LOG_LEVEL``) have one name for all.
"""

from typing import Any, Literal, TypeVar

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5532/postgres"
DEFAULT_NATS_URL = "nats://127.0.0.1:4322"


T = TypeVar("T")


def shared(name: str, default: T, description: str) -> T:
    """A field read from an unprefixed environment variable, e.g. ``DATABASE_URL``.

    Typed as its default (what pydantic's own `Field` does through `Any`), so a class body
    declares `url: str = shared(...)` and the type checker holds it to `str`."""
    field: Any = Field(
        default=default, validation_alias=AliasChoices(name), description=description
    )
    return field


class CommonSettings(BaseSettings):
    """What every process reads: logging and the shared infrastructure addresses."""

    model_config = SettingsConfigDict(extra="ignore", validate_by_name=True)

    log_level: str = shared("LOG_LEVEL", "INFO", "Minimum log level (DEBUG, INFO, WARNING…).")
    log_format: Literal["json", "console"] = shared(
        "LOG_FORMAT", "json", "json for machines, console for people at a terminal."
    )
    database_url: str = shared(
        "DATABASE_URL", DEFAULT_DATABASE_URL, "PostgreSQL URL (one schema per service)."
    )
    nats_url: str = shared("NATS_URL", DEFAULT_NATS_URL, "NATS server URL (JetStream enabled).")
    nats_stream_replicas: int = shared(
        "NATS_STREAM_REPLICAS",
        1,
        "JetStream replicas of every stream a process declares (3 on a 3-server cluster).",
    )
    jwt_issuer: str = shared(
        "JWT_ISSUER", "inferlane-auth", "`iss` of access tokens, checked everywhere."
    )
    jwt_audience: str = shared(
        "JWT_AUDIENCE", "inferlane", "`aud` of access tokens, checked everywhere."
    )
    auth_addr: str = shared("AUTH_ADDR", "127.0.0.1:50051", "Auth service gRPC address (JWKS).")


class ServiceSettings(CommonSettings):
    """What every gRPC process reads; subclasses set ``env_prefix`` and the default ports."""

    grpc_host: str = Field("127.0.0.1", description="Address the gRPC server binds.")
    grpc_port: int = Field(0, description="gRPC port (0 picks a free one).")
    metrics_port: int | None = Field(None, description="Prometheus /metrics port; unset: off.")
    shutdown_grace_seconds: float = Field(
        10.0, description="In-flight RPCs get this long on SIGTERM."
    )
    health_interval_seconds: float = Field(1.0, description="How often dependencies are probed.")
