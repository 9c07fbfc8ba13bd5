"""Every process answers grpc.health.v1 truthfully: SERVING only while its dependencies answer."""

import functools
from dataclasses import dataclass
from typing import Any

import pytest
from grpc_health.v1 import health_pb2

from services.auth.process import build as build_auth
from services.auth.settings import AuthSettings
from services.datasets.process import build as build_datasets
from services.datasets.settings import DatasetsSettings
from services.inference.process import build as build_inference
from services.inference.settings import InferenceSettings
from services.tasks.process import build as build_tasks
from services.tasks.settings import TasksSettings
from services.tasks.worker.process import build as build_worker
from services.tasks.worker.settings import WorkerSettings
from tests.support.in_process import fast, health_status
from tests.support.waiting import eventually

SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING


@dataclass(frozen=True)
class Case:
    name: str
    build: Any
    settings: Any
    needs: tuple[str, ...]  # fixtures whose URLs the process needs


CASES = [
    Case("auth", build_auth, AuthSettings, ("database_url",)),
    Case("datasets", build_datasets, DatasetsSettings, ("database_url",)),
    Case("tasks", build_tasks, TasksSettings, ("database_url", "nats_url")),
    Case(
        "tasks-worker",
        build_worker,
        # It needs a service account's key to start; health does not depend on its validity.
        functools.partial(WorkerSettings, service_key="ilk_" + "k" * 40),
        ("database_url", "nats_url"),
    ),
    Case("inference", build_inference, InferenceSettings, ("triton_url",)),
]


@pytest.fixture
def real_urls(request: pytest.FixtureRequest) -> dict[str, str]:
    """Only the infrastructure a case needs is started."""
    case: Case = request.param
    urls: dict[str, str] = {}
    if "database_url" in case.needs:
        urls["database_url"] = request.getfixturevalue("migrated_db")
    if "nats_url" in case.needs:
        urls["nats_url"] = request.getfixturevalue("nats_url")
    if "triton_url" in case.needs:
        urls["triton_url"] = request.getfixturevalue("triton").url
    return urls


async def wait_for_status(address: str, service: str, expected: int) -> None:
    async def reached() -> bool:
        return await health_status(address, service) == expected

    await eventually(reached, 15, f"{address} {service!r} to be {expected}")


@pytest.mark.parametrize("real_urls", CASES, indirect=True, ids=[c.name for c in CASES])
async def test_process_is_serving_once_its_dependencies_answer(request, real_urls, start_process):
    case: Case = request.node.callspec.params["real_urls"]
    process = await start_process(case.build, fast(case.settings, **real_urls))
    await wait_for_status(process.address, "", SERVING)
    for registration in process._registrations:
        assert await health_status(process.address, registration.full_name) == SERVING


DB_CASES = [c for c in CASES if "database_url" in c.needs]


@pytest.mark.parametrize("case", DB_CASES, ids=[c.name for c in DB_CASES])
async def test_process_with_unreachable_database_is_not_serving(
    case, start_process, closed_port_url, nats_url
):
    process = await start_process(
        case.build, fast(case.settings, database_url=closed_port_url, nats_url=nats_url)
    )
    # Several probes run; the answer stays NOT_SERVING and names postgres.
    for _ in range(3):
        await process._reporter.probe_once()
        assert await health_status(process.address) == NOT_SERVING
    assert await health_status(process.address, "postgres") == NOT_SERVING
    # Liveness is about the process, not its database: no restart loop during an outage.
    assert await health_status(process.address, "liveness") == SERVING


async def test_inference_follows_triton_readiness(start_process):
    process = await start_process(
        build_inference, fast(InferenceSettings, triton_url="127.0.0.1:9")
    )
    await process._reporter.probe_once()
    assert await health_status(process.address) == NOT_SERVING
    assert await health_status(process.address, "triton") == NOT_SERVING


async def test_a_process_stays_unready_until_its_schema_is_migrated(
    postgres_url, start_process, tmp_path
):
    """Started before its migrations ran (a rollout racing the migration Job), a service
    says so under "schema" instead of failing requests, and turns ready once they ran."""
    import asyncio
    import uuid

    import psycopg
    from psycopg import sql

    from inferlane.common import migrations

    name = f"unmigrated_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = postgres_url.rsplit("/", 1)[0] + "/" + name
    process = await start_process(
        build_datasets, fast(DatasetsSettings, database_url=url, storage_dir=tmp_path)
    )
    await process._reporter.probe_once()
    assert await health_status(process.address, "postgres") == SERVING
    assert await health_status(process.address, "schema") == NOT_SERVING
    assert await health_status(process.address) == NOT_SERVING
    await asyncio.to_thread(migrations.upgrade, "datasets", url)
    await wait_for_status(process.address, "", SERVING)
    assert await health_status(process.address, "schema") == SERVING
