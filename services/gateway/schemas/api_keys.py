"""API keys: long-lived credentials for scripts, shown once at creation."""

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from inferlane.auth.v1 import auth_types_pb2

from .common import optional_utc, utc


class ApiKeyCreate(BaseModel):
    name: str = Field(examples=["nightly batch"], description="1 to 100 characters.")


class ApiKey(BaseModel):
    id: uuid.UUID
    name: str
    prefix: str = Field(description="The first characters of the secret, to recognise it.")
    created_at: datetime
    last_used_at: datetime | None

    @classmethod
    def from_pb(cls, key: auth_types_pb2.ApiKey) -> "ApiKey":
        return cls(
            id=uuid.UUID(key.id),
            name=key.name,
            prefix=key.prefix,
            created_at=utc(key.created_at),
            last_used_at=optional_utc(key, "last_used_at"),
        )


class ApiKeyCreated(ApiKey):
    """The new key with its secret, which is never shown again."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "c1b9e3de-8a55-4d8e-b9f5-0d5b3a8f6a20",
                    "name": "nightly batch",
                    "prefix": "ilk_3fZ9qLmA",
                    "created_at": "2025-01-31T09:30:00Z",
                    "last_used_at": None,
                    "secret": "ilk_3fZ9qLmA…",
                }
            ]
        }
    )

    secret: str = Field(
        description="Send as `Authorization: Bearer <secret>` or `X-API-Key: <secret>`."
    )
