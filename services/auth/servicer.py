"""gRPC front of the auth service.

Every RPC of `inferlane.auth.v1.AuthService` is declared; until its issue lands, the
generated base class answers UNIMPLEMENTED (it never pretends).
"""

from inferlane.auth.v1 import auth_service_pb2, auth_service_pb2_grpc

SERVICE_NAME = auth_service_pb2.DESCRIPTOR.services_by_name["AuthService"].full_name


class AuthServicer(auth_service_pb2_grpc.AuthServiceServicer):
    """Converts proto <-> domain and nothing else; the rules live in plain service modules."""
