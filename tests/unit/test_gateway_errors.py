"""gRPC status (plus trailers) → RFC 7807 problem, without a server."""

import json

import grpc
import pytest

from inferlane.common import request_id
from inferlane.common.errors import DOMAIN_CODE_KEY, OVERLOADED, RETRY_AFTER_KEY
from services.gateway.errors import from_grpc

C = grpc.StatusCode


def rpc_error(code: grpc.StatusCode, details: str = "why", **trailers: str) -> grpc.aio.AioRpcError:
    trailing = grpc.aio.Metadata(*((k.replace("_", "-"), v) for k, v in trailers.items()))
    return grpc.aio.AioRpcError(code, grpc.aio.Metadata(), trailing, details, None)


def body_of(response: object) -> dict[str, object]:
    return json.loads(response.body)  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("code", "status", "word"),
    [
        (C.INVALID_ARGUMENT, 422, "01"),
        (C.NOT_FOUND, 404, "not_found"),
        (C.ALREADY_EXISTS, 409, "conflict"),
        (C.FAILED_PRECONDITION, 409, "conflict"),
        (C.UNAUTHENTICATED, 401, "unauthenticated"),
        (C.PERMISSION_DENIED, 403, "forbidden"),
        # Without our retry trailer it is gRPC's own size limit (see below).
        (C.RESOURCE_EXHAUSTED, 413, "payload_too_large"),
        (C.UNAVAILABLE, 503, "unavailable"),
        (C.DEADLINE_EXCEEDED, 504, "timeout"),
        (C.UNIMPLEMENTED, 501, "not_implemented"),
        (C.INTERNAL, 500, "internal"),
        (C.UNKNOWN, 500, "internal"),
        (C.DATA_LOSS, 500, "internal"),
        (C.CANCELLED, 500, "internal"),
    ],
)
def test_grpc_status_maps_to_http_status_and_code(
    code: grpc.StatusCode, status: int, word: str
) -> None:
    request_id.bind("rid-1")
    response = from_grpc(rpc_error(code), "/api/v1/tasks/1")
    body = body_of(response)
    assert response.status_code == status
    assert response.media_type == "application/problem+json"
    assert body["status"] == status
    assert body["code"] == word
    assert body["instance"] == "/api/v1/tasks/1"
    assert body["request_id"] == "rid-1"
    assert {"type", "title", "detail"} <= body.keys()


def test_client_errors_carry_the_service_message() -> None:
    assert body_of(from_grpc(rpc_error(C.NOT_FOUND, "task not found"), "/x"))["detail"] == (
        "task not found"
    )


@pytest.mark.parametrize("code", [C.UNAVAILABLE, C.INTERNAL, C.UNKNOWN, C.DEADLINE_EXCEEDED])
def test_server_errors_hide_transport_details(code: grpc.StatusCode) -> None:
    leaky = "failed to connect to all addresses; last error: ipv4:10.0.0.7:50051"
    assert "10.0.0.7" not in json.dumps(body_of(from_grpc(rpc_error(code, leaky), "/x")))


@pytest.mark.parametrize(
    ("code", "domain", "status"),
    [(C.INVALID_ARGUMENT, "02", 422), (C.FAILED_PRECONDITION, "03", 409), (C.NOT_FOUND, "01", 404)],
)
def test_domain_code_trailer_wins(code: grpc.StatusCode, domain: str, status: int) -> None:
    response = from_grpc(rpc_error(code, **{DOMAIN_CODE_KEY: domain}), "/x")
    assert response.status_code == status
    assert body_of(response)["code"] == domain


def test_unauthenticated_asks_for_a_bearer_token() -> None:
    assert from_grpc(rpc_error(C.UNAUTHENTICATED), "/x").headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize(("trailer", "header"), [("2.1", "3"), ("0.2", "1"), ("30", "30")])
def test_back_pressure_rounds_retry_after_up(trailer: str, header: str) -> None:
    response = from_grpc(rpc_error(C.RESOURCE_EXHAUSTED, **{RETRY_AFTER_KEY: trailer}), "/x")
    assert response.status_code == 429
    assert response.headers["retry-after"] == header


@pytest.mark.parametrize("trailer", [None, "soon", "nan", "inf"])
def test_no_429_without_a_usable_retry_after(trailer: str | None) -> None:
    """A 429 always says when to retry; gRPC's "Received message larger than max" (no
    trailer) is a 413 whose words stay in the logs."""
    trailers = {} if trailer is None else {RETRY_AFTER_KEY: trailer}
    leaky = "Received message larger than max (5242960 vs. 4194304)"
    response = from_grpc(rpc_error(C.RESOURCE_EXHAUSTED, leaky, **trailers), "/x")
    assert response.status_code == 413
    assert "retry-after" not in response.headers
    assert "larger than max" not in json.dumps(body_of(response))


@pytest.mark.parametrize("domain_code", ["gone", "expired"])
def test_no_longer_available_is_410_with_its_own_code(domain_code: str) -> None:
    error = rpc_error(C.FAILED_PRECONDITION, "results expired", **{DOMAIN_CODE_KEY: domain_code})
    response = from_grpc(error, "/api/v1/tasks/1/results")
    assert (response.status_code, body_of(response)["code"]) == (410, domain_code)


def test_a_busy_service_is_503_with_its_words_and_when_to_retry() -> None:
    response = from_grpc(
        rpc_error(
            C.UNAVAILABLE,
            "the service is busy (40 calls waiting); try again shortly",
            **{DOMAIN_CODE_KEY: OVERLOADED, RETRY_AFTER_KEY: "3"},
        ),
        "/api/v1/tasks",
    )
    body = body_of(response)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "3"
    assert body["code"] == OVERLOADED
    assert "busy" in str(body["detail"])  # back-pressure is worded for the caller, not hidden
