"""The trace context survives the trip request → outbox row headers → NATS message → worker,
and log lines inside a sampled span carry its ids."""

from typing import Any

from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags
from sqlalchemy import MetaData

from inferlane.common import tracing
from inferlane.common.logging import add_trace_ids
from inferlane.common.outbox import enqueue, outbox_table

TABLE = outbox_table(MetaData(schema="unit"))
TRACE_ID = 0x4BF92F3577B34DA6A3CE929D0E0E4736
SPAN_ID = 0x00F067AA0BA902B7


class Recorder:
    """Stands in for a session: keeps the values of the INSERT enqueue executes."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}

    async def execute(self, statement: Any) -> None:
        self.values = statement.compile().params


def span(sampled: bool = True) -> NonRecordingSpan:
    flags = TraceFlags(TraceFlags.SAMPLED if sampled else TraceFlags.DEFAULT)
    return NonRecordingSpan(SpanContext(TRACE_ID, SPAN_ID, is_remote=True, trace_flags=flags))


async def test_enqueue_stores_the_current_trace_context_and_the_worker_continues_it():
    session = Recorder()
    with trace.use_span(span()):
        await enqueue(session, TABLE, "tasks.work", b"payload", {"Inferlane-Task-Id": "t1"})  # type: ignore[arg-type]
    stored = session.values["headers"]
    assert stored["Inferlane-Task-Id"] == "t1"
    assert stored["traceparent"] == f"00-{TRACE_ID:032x}-{SPAN_ID:016x}-01"
    # What the relay publishes (the row's headers plus Nats-Msg-Id) is what the worker reads.
    published = {**stored, "Nats-Msg-Id": "row-id"}
    carried = trace.get_current_span(tracing.extract(published)).get_span_context()
    assert (carried.trace_id, carried.span_id, carried.is_remote) == (TRACE_ID, SPAN_ID, True)


async def test_without_a_span_enqueue_stores_only_the_callers_headers():
    session = Recorder()
    await enqueue(session, TABLE, "tasks.task.created", b"payload")  # type: ignore[arg-type]
    assert session.values["headers"] == {}


async def test_the_callers_headers_win_over_the_trace_context():
    session = Recorder()
    with trace.use_span(span()):
        await enqueue(session, TABLE, "s", b"p", {"traceparent": "theirs"})  # type: ignore[arg-type]
    assert session.values["headers"]["traceparent"] == "theirs"


def test_extract_reads_headers_whatever_their_case_and_ignores_garbage():
    header = f"00-{TRACE_ID:032x}-{SPAN_ID:016x}-01"
    found = trace.get_current_span(tracing.extract({"Traceparent": header})).get_span_context()
    assert found.trace_id == TRACE_ID
    for headers in (None, {}, {"traceparent": "not a trace"}):
        assert not trace.get_current_span(tracing.extract(headers)).get_span_context().is_valid


def test_log_lines_carry_trace_and_span_ids_inside_a_sampled_span_only():
    assert add_trace_ids(None, "info", {"event": "x"}) == {"event": "x"}
    with trace.use_span(span(sampled=False)):
        assert "trace_id" not in add_trace_ids(None, "info", {"event": "x"})
    tracer = TracerProvider().get_tracer("unit")  # a provider of its own: the global stays free
    with tracer.start_as_current_span("work") as live:
        event = add_trace_ids(None, "info", {"event": "x"})
    ctx = live.get_span_context()
    assert event["trace_id"] == f"{ctx.trace_id:032x}"
    assert event["span_id"] == f"{ctx.span_id:016x}"
