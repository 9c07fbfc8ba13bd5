"""gRPC front of the datasets service.

Every RPC of `inferlane.datasets.v1.DatasetsService` is declared; until its issue lands, the
generated base class answers UNIMPLEMENTED (it never pretends).
"""

from inferlane.datasets.v1 import datasets_service_pb2, datasets_service_pb2_grpc

SERVICE_NAME = datasets_service_pb2.DESCRIPTOR.services_by_name["DatasetsService"].full_name


class DatasetsServicer(datasets_service_pb2_grpc.DatasetsServiceServicer):
    """Converts proto <-> domain and nothing else; the rules live in plain service modules."""
