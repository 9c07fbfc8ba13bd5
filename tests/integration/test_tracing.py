"""One request, one trace: the gateway, the tasks service, the worker (through the outbox and
JetStream), inference and its Triton call all record spans of the trace the request started,
and log lines written inside it carry its trace id."""

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import SpanKind, format_trace_id
from structlog.testing import capture_logs

from inferlane.common.logging import add_trace_ids
from tests.support.gateway_accounts import sign_up
from tests.support.gateway_tasks import TASKS, gateway_over_tasks, wait_until_finished
from tests.support.tracing import capture, spans

pytestmark = pytest.mark.slow

CREATE_TASK = "inferlane.tasks.v1.TasksService/CreateTask"
WORK = "tasks.work process"
TRITON = "triton.infer"


@pytest.fixture
async def http(own_nats, start_process, migrated_db, triton, tmp_path) -> AsyncIterator[Any]:
    async with gateway_over_tasks(
        start_process, migrated_db, own_nats.url, triton.url, tmp_path
    ) as client:
        yield client


async def finished_spans(exporter: Any, trace_id: int, names: set[str]) -> list[ReadableSpan]:
    """The trace's spans once every name in `names` has ended (the worker acks after the
    task is ready, so its span may end a moment later)."""
    deadline = time.monotonic() + 10
    while True:
        found = [s for s in spans(exporter) if s.context.trace_id == trace_id]
        if names <= {s.name for s in found} or time.monotonic() > deadline:
            return found
        await asyncio.sleep(0.05)


async def test_one_task_request_is_one_trace_from_gateway_to_triton(http):
    me = await sign_up(http)
    body = {"type": "single", "model": "sentiment", "input": {"text": "I love it!"}}
    with capture() as exporter, capture_logs(processors=[add_trace_ids]) as logs:
        created = await http.post(TASKS, json=body, headers=me.headers)
        assert created.status_code == 202, created.text
        (edge,) = [
            s
            for s in spans(exporter)
            if s.kind is SpanKind.SERVER and s.name == f"POST {TASKS}" and s.parent is None
        ]
        trace_id = edge.context.trace_id
        done = await wait_until_finished(http, me.headers, created.json()["id"], timeout=60)
        assert done["status"] == "ready", done
        names = {CREATE_TASK, WORK, TRITON}
        found = await finished_spans(exporter, trace_id, names)

    by_name: dict[str, list[ReadableSpan]] = {}
    for span in found:
        by_name.setdefault(span.name, []).append(span)
    missing = names - set(by_name)
    assert not missing, f"missing {missing} in {sorted(by_name)}"
    assert any(s.kind is SpanKind.SERVER for s in by_name[CREATE_TASK])
    assert by_name[WORK][0].kind is SpanKind.CONSUMER
    inference = [n for n in by_name if n.startswith("inferlane.inference.v1.InferenceService/")]
    assert {SpanKind.CLIENT, SpanKind.SERVER} <= {s.kind for n in inference for s in by_name[n]}
    (triton_span,) = by_name[TRITON]
    assert triton_span.kind is SpanKind.CLIENT
    assert triton_span.attributes is not None
    assert triton_span.attributes["triton.model"] == "sentiment"

    # One tree: every span's parent is a span of this trace, up to the gateway's.
    ids = {s.context.span_id for s in found}
    orphans = [s.name for s in found if s.parent is not None and s.parent.span_id not in ids]
    assert orphans == []
    assert [s for s in found if s.parent is None] == [edge]
    # The worker's span descends from the tasks service's CreateTask, through the outbox.
    parents = {s.context.span_id: s for s in found}
    chain, span = [], by_name[WORK][0]
    while span.parent is not None:
        span = parents[span.parent.span_id]
        chain.append(span.name)
    assert CREATE_TASK in chain

    hex_id = format_trace_id(trace_id)
    traced = [e for e in logs if e.get("trace_id") == hex_id]
    assert {"rpc", "request"} <= {e["event"] for e in traced}, logs
    assert all(len(e["span_id"]) == 16 for e in traced)
