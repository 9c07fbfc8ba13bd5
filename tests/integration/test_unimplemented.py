"""An RPC whose issue has not landed answers UNIMPLEMENTED through the real interceptor chain."""

import grpc
import pytest
from google.protobuf import message_factory

from services.auth.process import build as build_auth
from services.auth.settings import AuthSettings
from services.datasets.process import build as build_datasets
from services.datasets.settings import DatasetsSettings
from services.inference.process import build as build_inference
from services.inference.settings import InferenceSettings
from services.tasks.process import build as build_tasks
from services.tasks.settings import TasksSettings
from tests.integration.conftest import fast

PROCESSES = {
    "auth": (build_auth, AuthSettings),
    "datasets": (build_datasets, DatasetsSettings),
    "tasks": (build_tasks, TasksSettings),
    "inference": (build_inference, InferenceSettings),
}


def unimplemented_methods(registration):
    """Methods the servicer does not override: the generated base still answers for them."""
    servicer = registration.servicer
    base = type(servicer).__mro__[1]
    service = servicer_descriptor(registration.full_name)
    return [m for m in service.methods if getattr(type(servicer), m.name) is getattr(base, m.name)]


def servicer_descriptor(full_name: str):
    from google.protobuf import descriptor_pool

    return descriptor_pool.Default().FindServiceByName(full_name)


async def call(channel: grpc.aio.Channel, service_name: str, method) -> grpc.StatusCode:
    request = message_factory.GetMessageClass(method.input_type)()
    path = f"/{service_name}/{method.name}"
    kwargs = {"request_serializer": type(request).SerializeToString, "response_deserializer": None}
    try:
        if method.client_streaming and method.server_streaming:
            async for _ in channel.stream_stream(path, **kwargs)(iter([request]), timeout=5):
                pass
        elif method.client_streaming:
            await channel.stream_unary(path, **kwargs)(iter([request]), timeout=5)
        elif method.server_streaming:
            async for _ in channel.unary_stream(path, **kwargs)(request, timeout=5):
                pass
        else:
            await channel.unary_unary(path, **kwargs)(request, timeout=5)
    except grpc.aio.AioRpcError as error:
        return error.code()
    return grpc.StatusCode.OK


@pytest.mark.parametrize("name", list(PROCESSES))
async def test_unimplemented_rpcs_answer_unimplemented(name, start_process, closed_port_url):
    build, settings_cls = PROCESSES[name]
    process = await start_process(build, fast(settings_cls, database_url=closed_port_url))
    (registration,) = process._registrations
    methods = unimplemented_methods(registration)
    async with grpc.aio.insecure_channel(process.address) as channel:
        codes = {m.name: await call(channel, registration.full_name, m) for m in methods}
    assert codes == {m.name: grpc.StatusCode.UNIMPLEMENTED for m in methods}
