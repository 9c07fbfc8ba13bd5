"""Settings of the auth service (environment prefix `AUTH_`)."""

import re
from datetime import timedelta
from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import SettingsConfigDict

from inferlane.common.auth import api_key_shape
from inferlane.common.auth.api_key_shape import MIN_RANDOM_CHARS, PREFIX
from inferlane.common.settings import ServiceSettings

REPO_ROOT = Path(__file__).resolve().parents[2]
ACCOUNT_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")  # the local part of its email


class AuthSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="AUTH_", extra="ignore", validate_by_name=True)

    grpc_port: int = Field(50051, description="gRPC port.")
    metrics_port: int | None = Field(9101, description="Prometheus /metrics port; unset: off.")
    signing_key: SecretStr | None = Field(
        None,
        description="Ed25519 private key (PKCS#8 PEM) that signs tokens; a Secret in production.",
    )
    signing_key_file: Path = Field(
        REPO_ROOT / ".data" / "auth" / "signing-key.pem",
        description="Used when AUTH_SIGNING_KEY is unset; created (0600) on first start.",
    )
    retired_public_keys: list[dict[str, str]] = Field(
        default_factory=list,
        description="JWKs of rotated-out keys, published until their tokens expire (JSON list).",
    )
    access_token_minutes: int = Field(15, gt=0, le=60, description="Lifetime of access tokens.")
    refresh_token_days: int = Field(14, gt=0, le=90, description="Lifetime of refresh tokens.")
    refresh_grace_seconds: int = Field(
        10,
        ge=0,
        le=60,
        description="A refresh token used again this soon after its rotation (a race between "
        "tabs) gets the same successor and revokes nothing; later reuse revokes its family.",
    )
    login_max_failures: int = Field(
        5,
        gt=0,
        description="Failed sign-ins per account from one client address before a lockout of "
        "that pair (the owner elsewhere is not locked out).",
    )
    login_max_failures_per_address: int = Field(
        20, gt=0, description="Failed sign-ins per client address before a lockout."
    )
    login_window_seconds: int = Field(
        900, gt=0, description="Window in which failures are counted."
    )
    login_lockout_seconds: int = Field(
        300, gt=0, description="How long a first lockout lasts; each next one of a key doubles."
    )
    service_accounts: dict[str, SecretStr] = Field(
        default_factory=dict,
        description=(
            "Service accounts made on start, as a JSON object name → API key "
            f"({PREFIX}…, at least {MIN_RANDOM_CHARS} random characters after the prefix), "
            f'e.g. {{"tasks-worker": "{PREFIX}…"}}; a changed key revokes '
            "the old one. They act for users (x-act-as-user) and never sign in."
        ),
    )

    @field_validator("service_accounts")
    @classmethod
    def _well_formed(cls, accounts: dict[str, SecretStr]) -> dict[str, SecretStr]:
        for name, key in accounts.items():
            if not ACCOUNT_NAME.match(name):
                raise ValueError(f"service account name {name!r}: lower-case letters, digits, -")
            if not api_key_shape.well_formed(key.get_secret_value()):
                raise ValueError(
                    f"the key of service account {name!r} must be {PREFIX} followed by "
                    f"at least {MIN_RANDOM_CHARS} random characters"
                )
        return accounts

    @property
    def access_ttl(self) -> timedelta:
        return timedelta(minutes=self.access_token_minutes)

    @property
    def refresh_ttl(self) -> timedelta:
        return timedelta(days=self.refresh_token_days)
