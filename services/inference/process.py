"""Wiring of the inference process: catalog, Triton client, servicer, health.

Health follows Triton's: the process is SERVING only while Triton is ready, and reports
Triton itself under the name "triton" for the gateway's /readyz.
"""

from inferlane.common.auth.remote import interceptor, remote_keys
from inferlane.common.grpc.server import GrpcProcess, Registration
from inferlane.inference.v1 import inference_service_pb2_grpc
from services.inference import catalog, oip
from services.inference.breaker import CircuitBreaker
from services.inference.service import InferenceService
from services.inference.servicer import PUBLIC_METHODS, SERVICE_NAME, InferenceServicer
from services.inference.settings import InferenceSettings
from services.inference.triton import Triton


async def build(settings: InferenceSettings) -> GrpcProcess:
    keys = remote_keys(settings)
    breaker = CircuitBreaker(settings.breaker_threshold, settings.breaker_reset_seconds)
    triton = Triton(
        settings.triton_url,
        timeout=settings.triton_timeout_seconds,
        breaker=breaker,
        attempts=settings.retry_attempts,
    )
    service = InferenceService(
        catalog.load(settings.model_repository),
        triton,
        max_rows=settings.max_rows_per_call,
        merge_calls=settings.merge_calls,
    )
    passthrough = oip.OipPassthrough(
        settings.triton_url,
        oip.UserLimiter(settings.oip_max_in_flight_per_user),
        settings.triton_timeout_seconds,
    )
    return GrpcProcess(
        name="inference",
        settings=settings,
        registrations=[
            Registration(
                SERVICE_NAME,
                inference_service_pb2_grpc.add_InferenceServiceServicer_to_server,
                InferenceServicer(service),
            ),
            Registration(oip.SERVICE_NAME, oip.add_to_server, passthrough),
        ],
        checks={"triton": triton.is_ready},
        auth=interceptor(keys, PUBLIC_METHODS),
        on_stop=[keys.close, passthrough.close, triton.close],
    )
