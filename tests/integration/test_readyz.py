"""/readyz across real processes: "ready" when every component is, "degraded" (still 200) when
only what not every request needs is down, "not_ready" (503) when the auth path is down."""

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from asgi_lifespan import LifespanManager

from services.auth.process import build as build_auth
from services.auth.settings import AuthSettings
from services.datasets.process import build as build_datasets
from services.datasets.settings import DatasetsSettings
from services.gateway.app import create_app
from services.gateway.settings import GatewaySettings
from services.inference.process import build as build_inference
from services.inference.settings import InferenceSettings
from services.tasks.process import build as build_tasks
from services.tasks.settings import TasksSettings
from tests.support.in_process import fast
from tests.support.processes import service_process
from tests.support.waiting import eventually, free_port

COMPONENTS = {"postgres", "nats", "auth", "datasets", "tasks", "inference", "triton"}


async def start_services(
    start_process, *, db: str, nats: str, triton: str, auth_db: str | None = None
):
    auth = await start_process(build_auth, fast(AuthSettings, database_url=auth_db or db))
    datasets = await start_process(build_datasets, fast(DatasetsSettings, database_url=db))
    tasks = await start_process(build_tasks, fast(TasksSettings, database_url=db, nats_url=nats))
    inference = await start_process(build_inference, fast(InferenceSettings, triton_url=triton))
    return GatewaySettings(
        database_url=db,
        nats_url=nats,
        auth_addr=auth.address,
        datasets_addr=datasets.address,
        tasks_addr=tasks.address,
        inference_addr=inference.address,
    )


@asynccontextmanager
async def gateway(settings: GatewaySettings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings)
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
            yield client


async def readiness(client: httpx.AsyncClient) -> tuple[str, dict[str, str]]:
    response = await client.get("/readyz")
    body = response.json()
    assert response.status_code == (503 if body["status"] == "not_ready" else 200), body
    assert body["required"] == ["auth"]
    return body["status"], body["components"]


async def wait_ready(client: httpx.AsyncClient, expected: str, what: str) -> dict[str, str]:
    seen: dict[str, object] = {}

    async def reached() -> bool:
        seen["status"], seen["components"] = await readiness(client)
        return seen["status"] == expected

    try:
        await eventually(reached, 20, what)
    except TimeoutError as error:
        raise AssertionError(f"{what}: last answer {json.dumps(seen)}") from error
    return seen["components"]  # type: ignore[return-value]


async def test_readyz_is_200_when_every_component_is_ready(
    migrated_db, nats_url, triton, start_process
):
    settings = await start_services(start_process, db=migrated_db, nats=nats_url, triton=triton.url)
    async with gateway(settings) as client:
        components = await wait_ready(client, "ready", "every component to be ready")
    models = {f"model/{name}" for name in ("sentiment", "embedding", "diabetes-progression")}
    assert components == dict.fromkeys(COMPONENTS | models, "ok")


async def test_readyz_names_the_service_whose_database_is_unreachable(
    migrated_db, nats_url, triton, start_process, closed_port_url
):
    settings = await start_services(
        start_process, db=migrated_db, nats=nats_url, triton=triton.url, auth_db=closed_port_url
    )
    async with gateway(settings) as client:
        await wait_ready(client, "not_ready", "a 503")

        # Give healthy components time to come up: only auth may stay red.
        async def only_auth_red() -> bool:
            status, components = await readiness(client)
            return status == "not_ready" and {k for k, v in components.items() if v != "ok"} == {
                "auth"
            }

        await eventually(only_auth_red, 20, "only auth to be not ready")
        _, components = await readiness(client)
    assert components["auth"] == "not_serving"
    assert components["postgres"] == "ok"


async def test_readyz_follows_nats_going_down_and_up_without_restarting_anything(
    migrated_db, own_nats, triton, start_process
):
    settings = await start_services(
        start_process, db=migrated_db, nats=own_nats.url, triton=triton.url
    )
    async with gateway(settings) as client:
        await wait_ready(client, "ready", "ready with NATS up")
        own_nats.stop()
        # Sign-in needs no NATS: the gateway stays in its Service, reporting what is down.
        components = await wait_ready(client, "degraded", "degraded with NATS down")
        assert components["nats"] != "ok" and components["auth"] == "ok"
        own_nats.start()  # same port, same JetStream store
        components = await wait_ready(client, "ready", "ready again once NATS is back")
    assert components["nats"] == "ok" and components["tasks"] == "ok"


async def test_request_id_round_trips_and_reaches_the_service_log(
    migrated_db, nats_url, triton, start_process, tmp_path
):
    port = free_port()
    auth = service_process(
        "services.auth",
        tmp_path / "auth.log",
        {
            "DATABASE_URL": migrated_db,
            "AUTH_GRPC_PORT": str(port),
            "AUTH_METRICS_PORT": str(free_port()),
        },
    )
    auth.start()
    try:
        settings = await start_services(
            start_process, db=migrated_db, nats=nats_url, triton=triton.url
        )
        settings.auth_addr = f"127.0.0.1:{port}"
        async with gateway(settings) as client:
            await wait_ready(client, "ready", "ready with auth as a subprocess")
            response = await client.get("/readyz", headers={"X-Request-ID": "trace-me-4711"})
            assert response.headers["X-Request-ID"] == "trace-me-4711"
            generated = (await client.get("/healthz")).headers["X-Request-ID"]
            assert generated and generated != "trace-me-4711"
    finally:
        auth.stop()
    lines = [json.loads(line) for line in auth.log().splitlines() if line.startswith("{")]
    matching = [line for line in lines if line.get("request_id") == "trace-me-4711"]
    assert matching, "the gateway's request id never reached the auth service's logs"
    assert matching[0]["method"] == "/grpc.health.v1.Health/Check"
    assert matching[0]["service"] == "auth"
