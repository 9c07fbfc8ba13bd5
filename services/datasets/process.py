"""Wiring of the datasets process: its database, its servicer, its health checks."""

from inferlane.common.auth.remote import interceptor, remote_keys
from inferlane.common.db import make_engine, readiness_check
from inferlane.common.grpc.server import GrpcProcess, Registration
from inferlane.datasets.v1 import datasets_service_pb2_grpc
from services.datasets.servicer import SERVICE_NAME, DatasetsServicer
from services.datasets.settings import DatasetsSettings


async def build(settings: DatasetsSettings) -> GrpcProcess:
    keys = remote_keys(settings)
    engine = make_engine(settings.database_url)
    return GrpcProcess(
        name="datasets",
        settings=settings,
        registrations=[
            Registration(
                SERVICE_NAME,
                datasets_service_pb2_grpc.add_DatasetsServiceServicer_to_server,
                DatasetsServicer(),  # type: ignore[abstract]  # RPCs still UNIMPLEMENTED,
            )
        ],
        checks={"postgres": readiness_check(engine)},
        auth=interceptor(keys, frozenset({f"/{SERVICE_NAME}/GetSharedDataset"})),
        on_stop=[keys.close, engine.dispose],
    )
