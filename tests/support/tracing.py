"""Spans of the test process, kept in memory while a test asks for them.

The global tracer provider can be set once per process, so it is installed once, on first use,
and stays for the rest of the session; its sampler drops every span outside `capture()`, so
other tests run as with tracing off (no span recorded, no trace id in logs).
"""

import functools
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import Decision, Sampler, SamplingResult
from opentelemetry.trace import Link, SpanKind
from opentelemetry.util.types import Attributes


class Switch(Sampler):
    """Records every span while on, none while off."""

    on = False

    def should_sample(
        self,
        parent_context: Context | None,
        trace_id: int,
        name: str,
        kind: SpanKind | None = None,
        attributes: Attributes = None,
        links: Sequence[Link] | None = None,
        trace_state: trace.TraceState | None = None,
    ) -> SamplingResult:
        decision = Decision.RECORD_AND_SAMPLE if self.on else Decision.DROP
        return SamplingResult(decision, attributes if self.on else None)

    def get_description(self) -> str:
        return "test switch"


@functools.cache
def _installed() -> tuple[Switch, InMemorySpanExporter]:
    switch = Switch()
    exporter = InMemorySpanExporter()
    provider = TracerProvider(
        sampler=switch, resource=Resource.create({SERVICE_NAME: "inferlane-tests"})
    )
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    current = trace.get_tracer_provider()
    assert current is provider, f"another tracer provider was installed first: {current!r}"
    return switch, exporter


@contextmanager
def capture() -> Iterator[InMemorySpanExporter]:
    """Record spans in the block; the exporter holds those that ended."""
    switch, exporter = _installed()
    exporter.clear()
    switch.on = True
    try:
        yield exporter
    finally:
        switch.on = False


def spans(exporter: InMemorySpanExporter) -> list[ReadableSpan]:
    return list(exporter.get_finished_spans())
