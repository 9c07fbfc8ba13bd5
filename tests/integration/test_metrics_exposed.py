"""The metrics the dashboard and alerts query (k8s/observability) exist once a task has run:
the task metrics with their labels, in the gRPC processes' registry and on the gateway's
/metrics."""

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from prometheus_client import REGISTRY, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from tests.support.gateway_accounts import sign_up
from tests.support.gateway_tasks import TASKS, gateway_over_tasks, wait_until_finished
from tests.support.metric_names import METRICS

pytestmark = pytest.mark.slow

OURS = {m for m in METRICS if m.startswith("inferlane_")}


@pytest.fixture
async def http(own_nats, start_process, migrated_db, triton, tmp_path) -> AsyncIterator[Any]:
    async with gateway_over_tasks(
        start_process, migrated_db, own_nats.url, triton.url, tmp_path
    ) as client:
        yield client


def samples(text: str) -> dict[str, list[tuple[dict[str, str], float]]]:
    """Sample name -> [(labels, value)], parsed as Prometheus would."""
    out: dict[str, list[tuple[dict[str, str], float]]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out.setdefault(sample.name, []).append((dict(sample.labels), sample.value))
    return out


def value(found: dict[str, list[tuple[dict[str, str], float]]], name: str, **labels: str) -> float:
    return sum(v for have, v in found.get(name, []) if labels.items() <= have.items())


async def run_one_task(http: httpx.AsyncClient) -> None:
    me = await sign_up(http)
    body = {"type": "single", "model": "sentiment", "input": {"text": "Broke after a day."}}
    created = await http.post(TASKS, json=body, headers=me.headers)
    assert created.status_code == 202, created.text
    done = await wait_until_finished(http, me.headers, created.json()["id"], timeout=60)
    assert done["status"] == "ready", done


async def test_a_finished_task_is_counted_and_every_dashboard_metric_is_exported(http):
    before = samples(generate_latest(REGISTRY).decode())
    await run_one_task(http)
    after = samples(generate_latest(REGISTRY).decode())

    done = {"type": "single", "model": "sentiment", "status": "ready"}
    count = "inferlane_task_duration_seconds_count"
    assert value(after, count, **done) == value(before, count, **done) + 1
    assert value(after, "inferlane_task_duration_seconds_bucket", le="+Inf", **done) >= 1
    rows = "inferlane_task_rows_total"
    ok = {"model": "sentiment", "outcome": "ok"}
    assert value(after, rows, **ok) == value(before, rows, **ok) + 1
    # Sampled from the database when the tasks process starts, then every 5 s.
    assert {labels["status"] for labels, _ in after["inferlane_tasks_active"]} >= {
        "queued",
        "running",
    }
    assert after["inferlane_tasks_queue_oldest_seconds"][0][1] >= 0
    assert after["inferlane_dead_letters"][0][1] >= 0

    missing = {m for m in OURS if m not in after}
    assert not missing, f"the dashboard or alerts query metrics nobody exports: {missing}"

    # The gateway's own page (its process serves it; here it shares the test's registry).
    page = await http.get("/metrics")
    assert page.status_code == 200
    served = samples(page.text)
    assert value(served, "inferlane_http_requests_total", route="/api/v1/tasks", status="202") >= 1
    assert "inferlane_http_request_duration_seconds_bucket" in served
