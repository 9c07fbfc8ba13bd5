"""Wiring of the auth process: its database, its servicer, its health checks."""

from inferlane.auth.v1 import auth_service_pb2_grpc
from inferlane.common.db import make_engine, readiness_check
from inferlane.common.grpc.server import GrpcProcess, Registration
from services.auth.servicer import SERVICE_NAME, AuthServicer
from services.auth.settings import AuthSettings


async def build(settings: AuthSettings) -> GrpcProcess:
    engine = make_engine(settings.database_url)
    return GrpcProcess(
        name="auth",
        settings=settings,
        registrations=[
            Registration(
                SERVICE_NAME,
                auth_service_pb2_grpc.add_AuthServiceServicer_to_server,
                AuthServicer(),  # type: ignore[abstract]  # RPCs still UNIMPLEMENTED,
            )
        ],
        checks={"postgres": readiness_check(engine)},
        on_stop=[engine.dispose],
    )
