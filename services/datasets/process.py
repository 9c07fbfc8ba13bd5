"""Wiring of the datasets process: database, blob store, events, servicer, health."""

from datetime import timedelta

from nats.js.api import RetentionPolicy, StorageType, StreamConfig

from inferlane.common.auth.remote import interceptor, remote_keys
from inferlane.common.clock import Clock, utc_now
from inferlane.common.db import make_engine, readiness_check
from inferlane.common.events import EventPublisher
from inferlane.common.grpc.server import GrpcProcess, Registration
from inferlane.common.migrations import schema_check
from inferlane.datasets.v1 import datasets_service_pb2_grpc
from services.datasets.blobstore import LocalBlobStore
from services.datasets.expiry import DatasetJanitor
from services.datasets.leases import LeaseConsumer
from services.datasets.service import DatasetsService
from services.datasets.servicer import PUBLIC_METHODS, SERVICE_NAME, DatasetsServicer
from services.datasets.settings import DatasetsSettings
from services.datasets.tables import outbox

DATASETS_EVENTS = StreamConfig(
    name="DATASETS_EVENTS",
    description="Dataset lifecycle events, kept a week for late subscribers.",
    subjects=["datasets.>"],
    retention=RetentionPolicy.LIMITS,
    storage=StorageType.FILE,
    max_age=7 * 24 * 3600.0,
    duplicate_window=120.0,
)


async def build(settings: DatasetsSettings, clock: Clock = utc_now) -> GrpcProcess:
    keys = remote_keys(settings)
    engine = make_engine(settings.database_url)
    store = LocalBlobStore(settings.storage_dir)
    store.sweep()  # temp files of uploads cut short by a crash
    events = EventPublisher(
        engine,
        outbox,
        settings.nats_url,
        name="datasets",
        streams=[DATASETS_EVENTS],
        replicas=settings.nats_stream_replicas,
    )
    lease_consumer = LeaseConsumer(engine, settings.nats_url)
    service = DatasetsService(
        engine,
        store,
        max_upload_bytes=settings.max_upload_bytes,
        limits=settings.limits(),
        clock=clock,
        on_event=events.notify,
        ttl=timedelta(seconds=settings.ttl_seconds) if settings.ttl_seconds else None,
    )
    janitor = DatasetJanitor(
        engine,
        store,
        interval_seconds=settings.janitor_interval_seconds,
        batch=settings.janitor_batch,
        clock=clock,
    )
    return GrpcProcess(
        name="datasets",
        settings=settings,
        registrations=[
            Registration(
                SERVICE_NAME,
                datasets_service_pb2_grpc.add_DatasetsServiceServicer_to_server,
                DatasetsServicer(service),
            )
        ],
        checks={
            "postgres": readiness_check(engine),
            "schema": schema_check(engine, "datasets"),
        },
        auth=interceptor(keys, PUBLIC_METHODS),
        background=[events.run, lease_consumer.run, janitor.run],
        on_stop=[janitor.close, events.close, lease_consumer.close, keys.close, engine.dispose],
    )
