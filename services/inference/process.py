"""Wiring of the inference process: its Triton client, servicer and health.

Health follows Triton's: the process is SERVING only while Triton is ready, and reports
Triton itself under the name "triton" for the gateway's /readyz.
"""

from inferlane.common.auth.remote import interceptor, remote_keys
from inferlane.common.grpc.server import GrpcProcess, Registration
from inferlane.inference.v1 import inference_service_pb2_grpc
from services.inference.servicer import SERVICE_NAME, InferenceServicer
from services.inference.settings import InferenceSettings
from services.inference.triton import Triton


async def build(settings: InferenceSettings) -> GrpcProcess:
    keys = remote_keys(settings)
    triton = Triton(settings.triton_url, settings.triton_timeout_seconds)
    return GrpcProcess(
        name="inference",
        settings=settings,
        registrations=[
            Registration(
                SERVICE_NAME,
                inference_service_pb2_grpc.add_InferenceServiceServicer_to_server,
                InferenceServicer(),  # type: ignore[abstract]  # RPCs still UNIMPLEMENTED,
            )
        ],
        checks={"triton": triton.is_ready},
        auth=interceptor(keys),
        on_stop=[keys.close, triton.close],
    )
