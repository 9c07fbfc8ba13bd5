"""The gateway in-process with every peer down: edges, problem details, headers, readiness."""

import re
import time
from collections.abc import AsyncIterator

import grpc
import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import APIRouter, FastAPI, Request
from pydantic import BaseModel

from services.gateway.app import create_app
from tests.support.problems import PROBLEM_FIELDS
from tests.support.unreachable import unreachable_settings

COMPONENTS = {"postgres", "nats", "auth", "datasets", "tasks", "inference", "triton"}


class Echo(BaseModel):
    text: str


def _test_only_routes() -> APIRouter:
    """Routes that exist only in these tests, to reach the error paths the product has no
    route for yet (a JSON body, a failing peer, a bug, a path parameter)."""
    router = APIRouter(prefix="/_test")

    @router.post("/echo")
    async def echo(body: Echo) -> Echo:
        return body

    @router.get("/whoami")
    async def whoami(request: Request) -> dict[str, str]:
        return {"client": request.client.host if request.client else ""}

    @router.get("/things/{thing_id}")
    async def thing(thing_id: str) -> dict[str, str]:
        return {"id": thing_id}

    @router.get("/peer-missing")
    async def peer_missing() -> None:
        raise grpc.aio.AioRpcError(
            grpc.StatusCode.NOT_FOUND,
            grpc.aio.Metadata(),
            grpc.aio.Metadata(),
            "no such task",
            None,
        )

    @router.get("/too-large-for-grpc")
    async def too_large_for_grpc() -> None:
        # What grpc-python raises itself for a message over its size limit: no retry trailer.
        raise grpc.aio.AioRpcError(
            grpc.StatusCode.RESOURCE_EXHAUSTED,
            grpc.aio.Metadata(),
            grpc.aio.Metadata(),
            "Received message larger than max (5242960 vs. 4194304)",
            None,
        )

    @router.get("/busy")
    async def busy() -> None:
        # Our services' back-pressure always carries the retry trailer.
        raise grpc.aio.AioRpcError(
            grpc.StatusCode.RESOURCE_EXHAUSTED,
            grpc.aio.Metadata(),
            grpc.aio.Metadata(("x-retry-after", "2.5")),
            "too many unfinished tasks",
            None,
        )

    @router.get("/bug")
    async def bug() -> None:
        raise RuntimeError("secret internals")

    # Nested like the product's resource routers under api_router, so metrics see the same.
    api = APIRouter(prefix="/api/v1")
    api.include_router(router)
    return api


@pytest.fixture(scope="module")
async def client() -> AsyncIterator[httpx.AsyncClient]:
    app: FastAPI = create_app(unreachable_settings())
    app.include_router(_test_only_routes())
    async with (
        LifespanManager(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as c,
    ):
        yield c


def assert_problem(response: httpx.Response, status: int, code: str) -> dict[str, object]:
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, object] = response.json()
    assert body.keys() >= PROBLEM_FIELDS
    assert body["status"] == status
    assert body["code"] == code
    assert body["request_id"] == response.headers["x-request-id"]
    return body


async def test_unknown_route_is_a_404_problem(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/nowhere")
    body = assert_problem(response, 404, "not_found")
    assert body["instance"] == "/api/v1/nowhere"
    assert body["title"] == "Not Found"
    assert body["type"] == "about:blank"


async def test_wrong_method_is_a_405_problem_with_allow(client: httpx.AsyncClient) -> None:
    response = await client.delete("/healthz")
    assert_problem(response, 405, "method_not_allowed")
    assert "GET" in response.headers["allow"]


@pytest.mark.parametrize(
    ("path", "methods"),
    [
        ("/api/v1/tasks", {"GET", "POST"}),
        ("/api/v1/datasets", {"GET", "POST"}),
        ("/api/v1/auth/api-keys", {"GET", "POST"}),
        (f"/api/v1/datasets/{'0' * 8}-0000-4000-8000-{'0' * 12}", {"GET", "DELETE"}),
    ],
)
async def test_405_allow_lists_every_method_of_the_path(
    client: httpx.AsyncClient, path: str, methods: set[str]
) -> None:
    """GET and POST of one path are two routes; Starlette's own Allow named only one."""
    response = await client.options(path)
    assert_problem(response, 405, "method_not_allowed")
    assert set(response.headers["allow"].split(", ")) - {"HEAD"} == methods


async def test_a_path_that_is_no_task_id_is_not_a_task(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/tasks/batch-file")
    assert_problem(response, 405, "method_not_allowed")
    assert response.headers["allow"] == "POST"


async def test_the_openapi_document_states_the_enforced_constraints(
    client: httpx.AsyncClient,
) -> None:
    document = (await client.get("/openapi.json")).json()
    schemas = document["components"]["schemas"]
    password = schemas["Registration"]["properties"]["password"]
    assert (password["minLength"], password["maxLength"]) == (12, 1024)
    listing = document["paths"]["/api/v1/tasks"]["get"]
    [cursor] = [p for p in listing["parameters"] if p["name"] == "cursor"]
    assert cursor["schema"]["anyOf"][0]["pattern"] == "^[A-Za-z0-9_-]+$"
    events = document["paths"]["/api/v1/tasks/{task_id}/events"]["get"]["responses"]["200"]
    event = events["content"]["text/event-stream"]["schema"]
    assert event["type"] == "object" and event["required"] == ["event", "data"]
    register = document["paths"]["/api/v1/auth/register"]["post"]["responses"]
    assert {"400", "413", "422"} <= register.keys()


async def test_malformed_json_is_a_422_invalid_input_problem(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/v1/_test/echo", content=b'{"text": ', headers={"content-type": "application/json"}
    )
    body = assert_problem(response, 422, "01")
    assert body["detail"] == "The request body is not valid JSON."
    assert isinstance(body["errors"], list)
    assert body["errors"][0]["type"] == "json_invalid"


async def test_schema_violation_lists_errors_without_echoing_input(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post("/api/v1/_test/echo", json={"text": ["hunter2"]})
    body = assert_problem(response, 422, "01")
    assert body["errors"] == [
        {"loc": ["body", "text"], "msg": "Input should be a valid string", "type": "string_type"}
    ]
    assert "hunter2" not in response.text


async def test_grpc_error_from_a_route_becomes_its_problem(client: httpx.AsyncClient) -> None:
    body = assert_problem(await client.get("/api/v1/_test/peer-missing"), 404, "not_found")
    assert body["detail"] == "no such task"


async def test_grpc_size_refusal_is_413_without_its_words(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/_test/too-large-for-grpc")
    body = assert_problem(response, 413, "payload_too_large")
    assert body["detail"] == "The request is too large."
    assert "retry-after" not in response.headers
    assert "larger than max" not in response.text


async def test_429_means_slow_down_and_says_when(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/_test/busy")
    assert_problem(response, 429, "too_many_requests")
    assert response.headers["retry-after"] == "3"


async def test_a_json_body_over_the_limit_is_413_when_announced(
    client: httpx.AsyncClient,
) -> None:
    body = b'{"text": "' + b"x" * (1024 * 1024) + b'"}'
    response = await client.post(
        "/api/v1/_test/echo", content=body, headers={"content-type": "application/json"}
    )
    problem = assert_problem(response, 413, "payload_too_large")
    assert "1,048,576-byte limit" in str(problem["detail"])


async def test_a_json_body_over_the_limit_is_413_when_streamed(
    client: httpx.AsyncClient,
) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"text": "'
        for _ in range(40):
            yield b"x" * 65536
        yield b'"}'

    response = await client.post(
        "/api/v1/_test/echo", content=chunks(), headers={"content-type": "application/json"}
    )
    assert "content-length" not in response.request.headers
    assert_problem(response, 413, "payload_too_large")


async def test_a_multipart_body_to_a_route_that_does_not_stream_uploads_is_413(
    client: httpx.AsyncClient,
) -> None:
    # Only the upload routes count multipart bodies themselves; elsewhere FastAPI would read
    # one whole before looking at it.
    async def chunks() -> AsyncIterator[bytes]:
        yield b"--b\r\nContent-Disposition: form-data; name=text\r\n\r\n"
        for _ in range(40):
            yield b"x" * 65536
        yield b"\r\n--b--\r\n"

    response = await client.post(
        "/api/v1/_test/echo",
        content=chunks(),
        headers={"content-type": "multipart/form-data; boundary=b"},
    )
    assert_problem(response, 413, "payload_too_large")


async def test_a_json_body_under_the_limit_passes(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/v1/_test/echo", json={"text": "x" * 500_000})
    assert response.status_code == 200


async def test_unexpected_exception_is_a_500_that_leaks_nothing(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/api/v1/_test/bug", headers={"X-Request-ID": "bug-1"})
    body = assert_problem(response, 500, "internal")
    assert body["request_id"] == "bug-1"
    assert "secret" not in response.text
    assert response.headers["x-content-type-options"] == "nosniff"


async def test_request_id_is_returned_as_given(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert response.headers["x-request-id"] == "abc-123"


async def test_request_id_is_generated_when_missing_or_unprintable(
    client: httpx.AsyncClient,
) -> None:
    first = (await client.get("/healthz")).headers["x-request-id"]
    second = (await client.get("/healthz")).headers["x-request-id"]
    assert first and second and first != second
    bad = (await client.get("/healthz", headers={"X-Request-ID": "x" * 500})).headers
    assert bad["x-request-id"] != "x" * 500
    response = await client.get("/api/v1/nowhere", headers={"X-Request-ID": 'a"b<script>'})
    assert response.headers["x-request-id"].isalnum()
    assert "<script>" not in response.text


@pytest.mark.parametrize("path", ["/healthz", "/api/v1/nowhere", "/openapi.json"])
async def test_security_headers_on_every_response(client: httpx.AsyncClient, path: str) -> None:
    headers = (await client.get(path)).headers
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["content-security-policy"] == "default-src 'self'; frame-ancestors 'none'"
    assert headers["cross-origin-opener-policy"] == "same-origin"


async def test_docs_page_loads_swagger_from_the_gateway_alone(client: httpx.AsyncClient) -> None:
    response = await client.get("/docs")
    assert response.status_code == 200
    csp = response.headers["content-security-policy"]
    assert csp == "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'"
    assert "http" not in response.text.replace('href="/openapi.json"', "")  # no CDN
    assert "<script>" not in response.text  # every script is a file (no inline script)
    for asset in re.findall(r'(?:src|href)="(/docs/assets/[\w.-]+)"', response.text):
        served = await client.get(asset)
        assert served.status_code == 200, asset
        assert served.headers["content-security-policy"] == csp
    bundle = await client.get("/docs/assets/swagger-ui-bundle.js")
    assert "SwaggerUIBundle" in bundle.text
    assert (await client.get("/docs/assets/..%2Fcore.py")).status_code == 404


async def test_healthz_is_ok_while_peers_are_down(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_names_every_unreachable_component_quickly(
    client: httpx.AsyncClient,
) -> None:
    started = time.monotonic()
    response = await client.get("/readyz")
    elapsed = time.monotonic() - started
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "not_ready"
    assert body["components"].keys() == COMPONENTS
    assert all(state != "ok" for state in body["components"].values()), body
    # Probes run concurrently with a 1 s limit each; the sum of seven would be far slower.
    assert elapsed < 5, elapsed


async def test_metrics_count_requests_by_route_template(client: httpx.AsyncClient) -> None:
    await client.get("/api/v1/_test/things/42")
    await client.get("/api/v1/nowhere")
    await client.delete("/api/v1/_test/things/43")
    text = (await client.get("/metrics")).text
    assert "inferlane_http_requests_total" in text
    assert "inferlane_http_request_duration_seconds" in text
    assert 'route="/api/v1/_test/things/{thing_id}"' in text
    assert 'route="unmatched"' in text
    assert 'route="/api/v1/_test/things/{thing_id}",status="405"' in text
    assert "/things/42" not in text and "/things/43" not in text


async def test_openapi_lists_operations_routes(client: httpx.AsyncClient) -> None:
    response = await client.get("/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["info"]["title"] == "Inferlane"
    assert {"/healthz", "/readyz", "/metrics"} <= schema["paths"].keys()
    assert schema["paths"]["/readyz"]["get"]["summary"]
    assert "503" in schema["paths"]["/readyz"]["get"]["responses"]


async def test_cors_allows_configured_origin_only() -> None:
    app = create_app(unreachable_settings(cors_origins=["https://console.example"]))
    async with (
        LifespanManager(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as c,
    ):
        preflight = {"Access-Control-Request-Method": "GET"}
        ok = await c.options("/healthz", headers={"Origin": "https://console.example", **preflight})
        no = await c.options("/healthz", headers={"Origin": "https://evil.example", **preflight})
    assert ok.headers["access-control-allow-origin"] == "https://console.example"
    assert "access-control-allow-origin" not in no.headers
    assert ok.headers["x-request-id"]


async def test_every_body_but_an_upload_documents_the_413(client: httpx.AsyncClient) -> None:
    document = (await client.get("/openapi.json")).json()
    bodies = 0
    for path in document["paths"].values():
        for operation in path.values():
            content = operation.get("requestBody", {}).get("content", {})
            if content and "multipart/form-data" not in content:
                bodies += 1
                assert "413" in operation["responses"], operation["operationId"]
    assert bodies > 5


async def test_forwarded_headers_are_ignored_by_default(client: httpx.AsyncClient) -> None:
    """Uvicorn's default believes X-Forwarded-For from 127.0.0.1; the gateway does not."""
    forged = {"X-Forwarded-For": "203.0.113.9"}
    response = await client.get("/api/v1/_test/whoami", headers=forged)
    assert response.json() == {"client": "127.0.0.1"}


async def test_forwarded_headers_are_believed_from_a_trusted_proxy_only() -> None:
    app: FastAPI = create_app(unreachable_settings(trusted_proxies=["10.0.0.0/8"]))
    app.include_router(_test_only_routes())
    forged = {"X-Forwarded-For": "203.0.113.9"}
    async with LifespanManager(app):
        for peer, seen in [("10.1.2.3", "203.0.113.9"), ("192.0.2.7", "192.0.2.7")]:
            transport = httpx.ASGITransport(app=app, client=(peer, 4000))
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
                response = await c.get("/api/v1/_test/whoami", headers=forged)
            assert response.json() == {"client": seen}, peer
