"""OpenTelemetry traces: one configuration per process, and the W3C trace context carried
across gRPC metadata, NATS message headers and outbox rows.

Off by default: until `configure_tracing` installs an SDK provider (it does when
OTEL_EXPORTER_OTLP_ENDPOINT is set), every tracer is OpenTelemetry's no-op proxy, so spans
cost a function call and nothing is exported. Instrumentation asks for its tracer through
`tracer()` at call time, so a provider installed later (by a process or a test) is used.
"""

from collections.abc import Mapping, MutableMapping
from typing import TYPE_CHECKING

import structlog
from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider

log = structlog.get_logger("inferlane.tracing")

TRACER_NAME = "inferlane"
# W3C Trace Context: the only headers the default propagator reads and writes (plus baggage).
TRACE_HEADERS = ("traceparent", "tracestate")


class TracingSettings(BaseSettings):
    """The standard OTEL_* variables this code reads itself; the SDK and the OTLP exporter read
    the rest (OTEL_TRACES_SAMPLER, OTEL_RESOURCE_ATTRIBUTES, OTEL_EXPORTER_OTLP_HEADERS, ...)."""

    model_config = SettingsConfigDict(env_prefix="OTEL_", extra="ignore")

    exporter_otlp_endpoint: str | None = Field(
        default=None,
        description="OTLP gRPC collector (e.g. http://otel-collector:4317); unset: no traces.",
    )
    service_name: str | None = Field(
        default=None, description="Overrides the process's own service name in its spans."
    )
    sdk_disabled: bool = Field(default=False, description="true: no traces even with a collector.")


def configure_tracing(
    service_name: str, settings: TracingSettings | None = None
) -> "TracerProvider | None":
    """Install the process's tracer provider with an OTLP exporter, if a collector is set.

    Returns the provider, or None when tracing stays off. The global provider can be set once
    per process: if one is installed already (a test's), it is left alone."""
    settings = settings or TracingSettings()
    if settings.sdk_disabled or not settings.exporter_otlp_endpoint:
        return None
    # Imported here: a process without a collector never loads the SDK or grpc exporter.
    from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import SERVICE_NAME, Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    current = trace.get_tracer_provider()
    if isinstance(current, TracerProvider):
        return current
    name = settings.service_name or service_name
    provider = TracerProvider(resource=Resource.create({SERVICE_NAME: name}))
    provider.add_span_processor(
        BatchSpanProcessor(OTLPSpanExporter(endpoint=settings.exporter_otlp_endpoint))
    )
    trace.set_tracer_provider(provider)
    log.info("tracing on", service=name, endpoint=settings.exporter_otlp_endpoint)
    return provider


def tracer() -> trace.Tracer:
    """The current global provider's tracer (the no-op one while tracing is off)."""
    return trace.get_tracer(TRACER_NAME)


def inject(carrier: MutableMapping[str, str] | None = None) -> dict[str, str]:
    """The current trace context as headers (`traceparent`, `tracestate`); empty when there is
    no valid span, so callers add nothing while tracing is off and no caller sent one."""
    headers: dict[str, str] = {}
    if trace.get_current_span().get_span_context().is_valid:
        propagate.inject(headers)
    if carrier is not None:
        carrier.update(headers)
    return headers


def extract(headers: Mapping[str, str] | None) -> otel_context.Context:
    """The trace context a message or call carried (an empty context when it carried none)."""
    carrier = {k.lower(): v for k, v in (headers or {}).items() if k.lower() in TRACE_HEADERS}
    return propagate.extract(carrier)


def current_ids() -> tuple[str, str] | None:
    """(trace id, span id) in hex of the current span, when its trace is sampled (exported).

    Sampled, not recording: a span that has just ended (the gateway's ends with the response
    body, before the request's log line) is still the one the line belongs to."""
    ctx = trace.get_current_span().get_span_context()
    if not (ctx.is_valid and ctx.trace_flags.sampled):
        return None
    return trace.format_trace_id(ctx.trace_id), trace.format_span_id(ctx.span_id)
