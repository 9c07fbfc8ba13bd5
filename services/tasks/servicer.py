"""gRPC front of the tasks service.

Every RPC of `inferlane.tasks.v1.TasksService` is declared; until its issue lands, the
generated base class answers UNIMPLEMENTED (it never pretends).
"""

from inferlane.tasks.v1 import tasks_service_pb2, tasks_service_pb2_grpc

SERVICE_NAME = tasks_service_pb2.DESCRIPTOR.services_by_name["TasksService"].full_name


class TasksServicer(tasks_service_pb2_grpc.TasksServiceServicer):
    """Converts proto <-> domain and nothing else; the rules live in plain service modules."""
