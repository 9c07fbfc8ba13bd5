"""The signed-in user's webhook endpoints: task events (ready, error, cancelled) are POSTed to
each active one, signed the Standard Webhooks way. Another user's endpoint is a 404."""

import uuid
from typing import TYPE_CHECKING, Annotated

from fastapi import APIRouter, Depends, Request

from inferlane.tasks.v1 import webhooks_service_pb2 as pb
from inferlane.tasks.v1 import webhooks_service_pb2_grpc

from ..deps import CurrentUser, Cursor, JsonBody, Limit, clients_of
from ..schemas.common import DEFAULT_LIMIT, MAX_LIMIT, Page
from ..schemas.problems import problems
from ..schemas.webhooks import (
    Webhook,
    WebhookAttempt,
    WebhookAttemptPage,
    WebhookCreate,
    WebhookWithSecret,
)
from ..security import RPC_TIMEOUT

if TYPE_CHECKING:  # the async stub exists for type checkers only
    from inferlane.tasks.v1.webhooks_service_pb2_grpc import WebhooksServiceAsyncStub
else:
    WebhooksServiceAsyncStub = webhooks_service_pb2_grpc.WebhooksServiceStub


async def get_webhooks_stub(request: Request) -> WebhooksServiceAsyncStub:
    return WebhooksServiceAsyncStub(clients_of(request).tasks)  # served by the tasks service


WebhooksStub = Annotated[WebhooksServiceAsyncStub, Depends(get_webhooks_stub)]

router = APIRouter(prefix="/webhooks", tags=["webhooks"])


@router.post("", status_code=201, dependencies=[JsonBody], responses=problems(401, 415, 422))
async def create_webhook(
    body: WebhookCreate, caller: CurrentUser, stub: WebhooksStub
) -> WebhookWithSecret:
    """Register an endpoint. Its signing secret is in this answer and never shown again."""
    reply = await stub.CreateWebhookEndpoint(
        pb.CreateWebhookEndpointRequest(url=body.url, description=body.description),
        timeout=RPC_TIMEOUT,
    )
    endpoint = Webhook.from_pb(reply.endpoint)
    return WebhookWithSecret(**endpoint.model_dump(), secret=reply.secret)


@router.get("", responses=problems(401, 422))
async def list_webhooks(
    caller: CurrentUser, stub: WebhooksStub, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None
) -> Page[Webhook]:
    """Your endpoints, newest first (without their secrets)."""
    reply = await stub.ListWebhookEndpoints(
        pb.ListWebhookEndpointsRequest(page_size=min(limit, MAX_LIMIT), page_token=cursor or ""),
        timeout=RPC_TIMEOUT,
    )
    return Page[Webhook](
        items=[Webhook.from_pb(e) for e in reply.endpoints],
        next_cursor=reply.next_page_token or None,
    )


@router.get("/{webhook_id:uuid}", responses=problems(401, 404, 422))
async def get_webhook(webhook_id: uuid.UUID, caller: CurrentUser, stub: WebhooksStub) -> Webhook:
    """One of your endpoints, with its state (and why, when disabled)."""
    reply = await stub.GetWebhookEndpoint(
        pb.GetWebhookEndpointRequest(endpoint_id=str(webhook_id)), timeout=RPC_TIMEOUT
    )
    return Webhook.from_pb(reply.endpoint)


@router.delete("/{webhook_id:uuid}", status_code=204, responses=problems(401, 404, 422))
async def delete_webhook(webhook_id: uuid.UUID, caller: CurrentUser, stub: WebhooksStub) -> None:
    """Remove an endpoint; its pending deliveries are dropped with it."""
    await stub.DeleteWebhookEndpoint(
        pb.DeleteWebhookEndpointRequest(endpoint_id=str(webhook_id)), timeout=RPC_TIMEOUT
    )


@router.post("/{webhook_id:uuid}/rotate-secret", responses=problems(401, 404, 422))
async def rotate_webhook_secret(
    webhook_id: uuid.UUID, caller: CurrentUser, stub: WebhooksStub
) -> WebhookWithSecret:
    """A new signing secret, shown only here. From now on only the new one signs (retries of
    earlier events included); the old one stops at once."""
    reply = await stub.RotateWebhookSecret(
        pb.RotateWebhookSecretRequest(endpoint_id=str(webhook_id)), timeout=RPC_TIMEOUT
    )
    endpoint = Webhook.from_pb(reply.endpoint)
    return WebhookWithSecret(**endpoint.model_dump(), secret=reply.secret)


@router.post("/{webhook_id:uuid}/enable", responses=problems(401, 404, 422))
async def enable_webhook(webhook_id: uuid.UUID, caller: CurrentUser, stub: WebhooksStub) -> Webhook:
    """Make a disabled endpoint active again; its pending deliveries resume."""
    reply = await stub.EnableWebhookEndpoint(
        pb.EnableWebhookEndpointRequest(endpoint_id=str(webhook_id)), timeout=RPC_TIMEOUT
    )
    return Webhook.from_pb(reply.endpoint)


@router.get("/{webhook_id:uuid}/deliveries", responses=problems(401, 404, 422))
async def list_webhook_deliveries(
    webhook_id: uuid.UUID,
    caller: CurrentUser,
    stub: WebhooksStub,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> WebhookAttemptPage:
    """The endpoint's delivery log, newest first: one item per attempt (time, event type,
    task, attempt number, your status code, latency, error), and the endpoint's state."""
    reply = await stub.ListWebhookAttempts(
        pb.ListWebhookAttemptsRequest(
            endpoint_id=str(webhook_id),
            page_size=min(limit, MAX_LIMIT),
            page_token=cursor or "",
        ),
        timeout=RPC_TIMEOUT,
    )
    return WebhookAttemptPage(
        items=[WebhookAttempt.from_pb(a) for a in reply.attempts],
        next_cursor=reply.next_page_token or None,
        endpoint=Webhook.from_pb(reply.endpoint),
    )
