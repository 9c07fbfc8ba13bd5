"""Accounts and sessions: registration, tokens (bearer or cookie), the current user."""

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from inferlane.auth.v1 import auth_types_pb2
from inferlane.common.auth.password_rules import MAX_LENGTH, MIN_LENGTH

from .common import utc

# `service` marks the accounts of platform processes (e.g. the tasks worker); no one can be
# given it through the API, hence a narrower type for role changes.
Role = Literal["user", "admin", "service"]
AssignableRole = Literal["user", "admin"]
ROLE_FROM_PB: dict[int, Role] = {
    auth_types_pb2.ROLE_USER: "user",
    auth_types_pb2.ROLE_ADMIN: "admin",
    auth_types_pb2.ROLE_SERVICE: "service",
}
ROLE_TO_PB: dict[AssignableRole, auth_types_pb2.Role.ValueType] = {
    "user": auth_types_pb2.ROLE_USER,
    "admin": auth_types_pb2.ROLE_ADMIN,
}


class Registration(BaseModel):
    """A new account. The auth service normalises the email and applies the password policy
    (at least 12 characters, not the email)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"email": "ada@example.com", "password": "correct horse battery"}]
        }
    )

    email: str
    password: str = Field(
        min_length=MIN_LENGTH,
        max_length=MAX_LENGTH,
        description=f"{MIN_LENGTH} to {MAX_LENGTH} characters, not the email address.",
    )


class User(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "7d0f4a55-3b0e-4c0b-9a49-1f4f6f0c2a11",
                    "email": "ada@example.com",
                    "role": "user",
                    "created_at": "2025-01-31T09:30:00Z",
                }
            ]
        }
    )

    id: uuid.UUID
    email: str
    role: Role
    created_at: datetime

    @classmethod
    def from_pb(cls, user: auth_types_pb2.User) -> "User":
        return cls(
            id=uuid.UUID(user.id),
            email=user.email,
            role=ROLE_FROM_PB[user.role],
            created_at=utc(user.created_at),
        )


class Tokens(BaseModel):
    """Bearer mode: send `access_token` as `Authorization: Bearer …`; keep `refresh_token`
    for `POST /auth/refresh`."""

    access_token: str
    refresh_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 - a scheme name, not a secret
    expires_in: int

    @classmethod
    def from_pb(cls, pair: auth_types_pb2.TokenPair) -> "Tokens":
        return cls(
            access_token=pair.access_token,
            refresh_token=pair.refresh_token,
            expires_in=pair.expires_in,
        )


class CookieSession(BaseModel):
    """Cookie mode: the tokens are in HttpOnly cookies; echo `csrf_token` (also readable in
    the `il_csrf` cookie) as `X-CSRF-Token` on every POST, PUT, PATCH and DELETE."""

    token_type: Literal["cookie"] = "cookie"  # noqa: S105 - a mode name, not a secret
    expires_in: int
    csrf_token: str


class RefreshRequest(BaseModel):
    refresh_token: str


class LogoutRequest(BaseModel):
    refresh_token: str
