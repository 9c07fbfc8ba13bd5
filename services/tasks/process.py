"""Wiring of the tasks process: database, NATS, peers, outbox relay, servicer, health."""

from collections.abc import Awaitable, Callable

from inferlane.common.admission import Admission
from inferlane.common.auth.remote import interceptor, remote_keys
from inferlane.common.db import make_engine, readiness_check
from inferlane.common.events import EventPublisher
from inferlane.common.grpc.client import channel
from inferlane.common.grpc.server import GrpcProcess, Registration
from inferlane.common.migrations import schema_check
from inferlane.common.nats import NatsConnection
from inferlane.tasks.v1 import tasks_service_pb2_grpc, webhooks_service_pb2_grpc
from services.tasks import lifecycle
from services.tasks.batch_from_upload import BatchFromUpload
from services.tasks.metrics import GaugeSampler
from services.tasks.peers import Peers
from services.tasks.retention import Janitor
from services.tasks.search import TaskSearch
from services.tasks.service import Limits, TasksService
from services.tasks.servicer import SERVICE_NAME, TasksServicer
from services.tasks.settings import TasksSettings
from services.tasks.streams import ALL as ALL_STREAMS
from services.tasks.streams import declare_streams
from services.tasks.tables import outbox
from services.tasks.vector_index import VectorIndexes
from services.tasks.watch import Watcher
from services.tasks.webhooks import egress
from services.tasks.webhooks import servicer as webhooks_servicer
from services.tasks.webhooks.dispatcher import Dispatcher
from services.tasks.webhooks.endpoints import Endpoints, check_target
from services.tasks.webhooks.schedule import Schedule


def nats_check(connection: NatsConnection, replicas: int) -> Callable[[], Awaitable[bool]]:
    """Ready once connected and the task streams exist (declared on the first success)."""
    declared = False

    async def check() -> bool:
        nonlocal declared
        if not await connection.is_ready():
            return False
        if not declared:
            await declare_streams(connection.jetstream, replicas)
            declared = True
        return True

    return check


async def build(settings: TasksSettings) -> GrpcProcess:
    keys = remote_keys(settings)
    engine = make_engine(settings.database_url)
    nats = NatsConnection(settings.nats_url, name="tasks")
    nats.start()
    events = EventPublisher(
        engine,
        outbox,
        settings.nats_url,
        name="tasks",
        streams=ALL_STREAMS,
        replicas=settings.nats_stream_replicas,
        on_published=lifecycle.QUEUED_WHEN_PUBLISHED,
    )
    gauges = GaugeSampler(engine)
    datasets, inference = channel(settings.datasets_addr), channel(settings.inference_addr)
    peers = Peers(datasets, inference)
    service = TasksService(
        engine,
        peers,
        Watcher(engine, nats, settings.watch_poll_seconds),
        Limits(
            chunk_rows=settings.chunk_rows,
            numeric_chunk_rows=settings.numeric_chunk_rows,
            max_active_per_user=settings.max_active_per_user,
            create_rate_per_second=settings.create_rate_per_second,
            create_burst=settings.create_burst,
            ttl_seconds=settings.ttl_seconds,
            max_ttl_seconds=settings.max_ttl_seconds,
        ),
        on_event=events.notify,
        check_callback=lambda url: check_target(url, egress_policy),
    )

    janitor = Janitor(
        engine, interval_seconds=settings.janitor_interval_seconds, batch=settings.janitor_batch
    )

    egress_policy = egress.EgressPolicy(
        allow_networks=egress.policy_from_networks(settings.webhooks_allow_networks),
        total_timeout_s=settings.webhooks_timeout_seconds,
    )
    dispatcher = Dispatcher(
        engine,
        settings.nats_url,
        Schedule(
            first_retry_s=settings.webhooks_first_retry_seconds,
            max_retry_s=settings.webhooks_max_retry_seconds,
            give_up_s=settings.webhooks_give_up_seconds,
            disable_after=settings.webhooks_disable_after,
        ),
        egress_policy,
        poll_s=settings.webhooks_poll_seconds,
        public_url=settings.public_url,
    )

    async def close_channels() -> None:
        await datasets.close(None)
        await inference.close(None)

    return GrpcProcess(
        name="tasks",
        settings=settings,
        registrations=[
            Registration(
                SERVICE_NAME,
                tasks_service_pb2_grpc.add_TasksServiceServicer_to_server,
                TasksServicer(
                    service,
                    TaskSearch(engine, peers, VectorIndexes(engine, 0)),
                    BatchFromUpload(service, peers),
                    Admission(
                        "CreateTask",
                        limit=settings.create_concurrency,
                        max_wait=settings.create_queue_seconds,
                    ),
                ),
            ),
            Registration(
                webhooks_servicer.SERVICE_NAME,
                webhooks_service_pb2_grpc.add_WebhooksServiceServicer_to_server,
                webhooks_servicer.WebhooksServicer(Endpoints(engine, egress_policy)),
            ),
        ],
        checks={
            "postgres": readiness_check(engine),
            "schema": schema_check(engine, "tasks"),
            "nats": nats_check(nats, settings.nats_stream_replicas),
        },
        auth=interceptor(keys),
        background=[events.run, gauges.run, janitor.run, dispatcher.run],
        on_stop=[
            janitor.close,
            dispatcher.close,
            events.close,
            gauges.close,
            close_channels,
            keys.close,
            nats.close,
            engine.dispose,
        ],
    )
