"""Webhook endpoints and their delivery log, as REST shows them."""

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from inferlane.tasks.v1 import webhooks_types_pb2 as types

from .common import utc

_STATE: dict[int, Literal["active", "disabled"]] = {
    types.WEBHOOK_ENDPOINT_STATE_ACTIVE: "active",
    types.WEBHOOK_ENDPOINT_STATE_DISABLED: "disabled",
}


class WebhookCreate(BaseModel):
    url: str = Field(
        examples=["https://example.com/hooks/inferlane"],
        description="http or https; a private or loopback address is refused unless the "
        "deployment allow-lists it.",
    )
    description: str = Field("", max_length=500, description="Your note, up to 500 characters.")


class Webhook(BaseModel):
    id: uuid.UUID
    url: str
    description: str
    state: Literal["active", "disabled"] = Field(
        description="`disabled` after its deliveries kept failing: nothing is sent until you "
        "enable it again (`POST /webhooks/{id}/enable`)."
    )
    disabled_reason: str | None
    created_at: datetime
    secret_rotated_at: datetime

    @classmethod
    def from_pb(cls, endpoint: types.WebhookEndpoint) -> "Webhook":
        return cls(
            id=uuid.UUID(endpoint.id),
            url=endpoint.url,
            description=endpoint.description,
            state=_STATE[endpoint.state],
            disabled_reason=endpoint.disabled_reason or None,
            created_at=utc(endpoint.created_at),
            secret_rotated_at=utc(endpoint.secret_rotated_at),
        )


class WebhookWithSecret(Webhook):
    """The endpoint with its signing secret, which is never shown again."""

    secret: str = Field(
        description="`whsec_` + base64 of the signing key, as the Standard Webhooks libraries "
        "take it. Verify each delivery's `webhook-signature` with it."
    )


class WebhookAttempt(BaseModel):
    at: datetime
    webhook_id: str = Field(description="The delivery's `webhook-id`, the same on every retry.")
    event_type: str = Field(examples=["task.ready"])
    task_id: uuid.UUID
    attempt: int = Field(description="1 for the first try, then 2, 3, ...")
    status_code: int | None = Field(description="Your endpoint's HTTP status; null: no answer.")
    latency_ms: float
    error: str | None

    @classmethod
    def from_pb(cls, attempt: types.WebhookAttempt) -> "WebhookAttempt":
        return cls(
            at=utc(attempt.at),
            webhook_id=attempt.webhook_id,
            event_type=attempt.event_type,
            task_id=uuid.UUID(attempt.task_id),
            attempt=attempt.attempt,
            status_code=attempt.status_code or None,
            latency_ms=attempt.latency_ms,
            error=attempt.error or None,
        )


class WebhookAttemptPage(BaseModel):
    """One page of an endpoint's delivery log, newest first, and the endpoint now."""

    items: list[WebhookAttempt]
    next_cursor: str | None = Field(description="Opaque; null when there are no more items.")
    endpoint: Webhook
