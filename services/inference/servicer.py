"""gRPC front of the inference service.

Every RPC of `inferlane.inference.v1.InferenceService` is declared; until the models
issue lands, the generated base class answers UNIMPLEMENTED (it never pretends).
"""

from inferlane.inference.v1 import inference_service_pb2, inference_service_pb2_grpc

SERVICE_NAME = inference_service_pb2.DESCRIPTOR.services_by_name["InferenceService"].full_name


class InferenceServicer(inference_service_pb2_grpc.InferenceServiceServicer):
    """Converts proto <-> domain and nothing else; the rules live in plain service modules."""
