"""gRPC front of the webhook endpoints: proto <-> Endpoints, nothing else."""

import grpc

from inferlane.tasks.v1 import webhooks_service_pb2 as pb
from inferlane.tasks.v1 import webhooks_service_pb2_grpc
from inferlane.tasks.v1 import webhooks_types_pb2 as types
from services.tasks.servicer import caller_id
from services.tasks.webhooks.endpoints import ACTIVE, Attempt, Endpoint, Endpoints

SERVICE_NAME = pb.DESCRIPTOR.services_by_name["WebhooksService"].full_name

_STATE = {
    ACTIVE: types.WEBHOOK_ENDPOINT_STATE_ACTIVE,
    "disabled": types.WEBHOOK_ENDPOINT_STATE_DISABLED,
}


def endpoint_pb(endpoint: Endpoint) -> types.WebhookEndpoint:
    message = types.WebhookEndpoint(
        id=str(endpoint.id),
        url=endpoint.url,
        description=endpoint.description,
        state=_STATE[endpoint.state],
        disabled_reason=endpoint.disabled_reason or "",
    )
    message.created_at.FromDatetime(endpoint.created_at)
    message.secret_rotated_at.FromDatetime(endpoint.secret_rotated_at)
    return message


def attempt_pb(attempt: Attempt) -> types.WebhookAttempt:
    message = types.WebhookAttempt(
        webhook_id=str(attempt.webhook_id),
        event_type=attempt.event_type,
        task_id=str(attempt.task_id),
        attempt=attempt.attempt,
        status_code=attempt.status_code or 0,
        latency_ms=attempt.latency_ms,
        error=attempt.error or "",
    )
    message.at.FromDatetime(attempt.at)
    return message


class WebhooksServicer(webhooks_service_pb2_grpc.WebhooksServiceServicer):
    def __init__(self, endpoints: Endpoints) -> None:
        self._endpoints = endpoints

    async def CreateWebhookEndpoint(
        self,
        request: pb.CreateWebhookEndpointRequest,
        context: grpc.aio.ServicerContext[
            pb.CreateWebhookEndpointRequest, pb.CreateWebhookEndpointResponse
        ],
    ) -> pb.CreateWebhookEndpointResponse:
        endpoint, secret = await self._endpoints.create(
            caller_id(), request.url, request.description
        )
        return pb.CreateWebhookEndpointResponse(endpoint=endpoint_pb(endpoint), secret=secret)

    async def ListWebhookEndpoints(
        self,
        request: pb.ListWebhookEndpointsRequest,
        context: grpc.aio.ServicerContext[
            pb.ListWebhookEndpointsRequest, pb.ListWebhookEndpointsResponse
        ],
    ) -> pb.ListWebhookEndpointsResponse:
        found, token = await self._endpoints.list_owned(
            caller_id(), request.page_size, request.page_token
        )
        return pb.ListWebhookEndpointsResponse(
            endpoints=[endpoint_pb(e) for e in found], next_page_token=token or ""
        )

    async def GetWebhookEndpoint(
        self,
        request: pb.GetWebhookEndpointRequest,
        context: grpc.aio.ServicerContext[
            pb.GetWebhookEndpointRequest, pb.GetWebhookEndpointResponse
        ],
    ) -> pb.GetWebhookEndpointResponse:
        endpoint = await self._endpoints.get(caller_id(), request.endpoint_id)
        return pb.GetWebhookEndpointResponse(endpoint=endpoint_pb(endpoint))

    async def DeleteWebhookEndpoint(
        self,
        request: pb.DeleteWebhookEndpointRequest,
        context: grpc.aio.ServicerContext[
            pb.DeleteWebhookEndpointRequest, pb.DeleteWebhookEndpointResponse
        ],
    ) -> pb.DeleteWebhookEndpointResponse:
        await self._endpoints.delete(caller_id(), request.endpoint_id)
        return pb.DeleteWebhookEndpointResponse()

    async def RotateWebhookSecret(
        self,
        request: pb.RotateWebhookSecretRequest,
        context: grpc.aio.ServicerContext[
            pb.RotateWebhookSecretRequest, pb.RotateWebhookSecretResponse
        ],
    ) -> pb.RotateWebhookSecretResponse:
        endpoint, secret = await self._endpoints.rotate_secret(caller_id(), request.endpoint_id)
        return pb.RotateWebhookSecretResponse(endpoint=endpoint_pb(endpoint), secret=secret)

    async def EnableWebhookEndpoint(
        self,
        request: pb.EnableWebhookEndpointRequest,
        context: grpc.aio.ServicerContext[
            pb.EnableWebhookEndpointRequest, pb.EnableWebhookEndpointResponse
        ],
    ) -> pb.EnableWebhookEndpointResponse:
        endpoint = await self._endpoints.enable(caller_id(), request.endpoint_id)
        return pb.EnableWebhookEndpointResponse(endpoint=endpoint_pb(endpoint))

    async def ListWebhookAttempts(
        self,
        request: pb.ListWebhookAttemptsRequest,
        context: grpc.aio.ServicerContext[
            pb.ListWebhookAttemptsRequest, pb.ListWebhookAttemptsResponse
        ],
    ) -> pb.ListWebhookAttemptsResponse:
        endpoint, found, token = await self._endpoints.attempts(
            caller_id(), request.endpoint_id, request.page_size, request.page_token
        )
        return pb.ListWebhookAttemptsResponse(
            attempts=[attempt_pb(a) for a in found],
            next_page_token=token or "",
            endpoint=endpoint_pb(endpoint),
        )
