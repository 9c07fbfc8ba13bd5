"""Every service checks the caller through the shared interceptor; an RPC whose issue has not
landed answers UNIMPLEMENTED (to a signed-in caller) through the real interceptor chain."""

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
from tests.support.accounts import create_account
from tests.support.in_process import fast

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


async def call(
    channel: grpc.aio.Channel, service_name: str, method, metadata=()
) -> grpc.StatusCode:
    request = message_factory.GetMessageClass(method.input_type)()
    path = f"/{service_name}/{method.name}"
    kwargs = {"request_serializer": type(request).SerializeToString, "response_deserializer": None}
    timeout = {"timeout": 5, "metadata": metadata}
    try:
        if method.client_streaming and method.server_streaming:
            async for _ in channel.stream_stream(path, **kwargs)(iter([request]), **timeout):
                pass
        elif method.client_streaming:
            await channel.stream_unary(path, **kwargs)(iter([request]), **timeout)
        elif method.server_streaming:
            async for _ in channel.unary_stream(path, **kwargs)(request, **timeout):
                pass
        else:
            await channel.unary_unary(path, **kwargs)(request, **timeout)
    except grpc.aio.AioRpcError as error:
        return error.code()
    return grpc.StatusCode.OK


PROCESSES_BUT_AUTH = [name for name in PROCESSES if name != "auth"]


async def start(name, start_process, auth_server, closed_port_url):
    build, settings_cls = PROCESSES[name]
    settings = fast(settings_cls, database_url=closed_port_url, auth_addr=auth_server.address)
    return await start_process(build, settings)


@pytest.mark.parametrize("name", PROCESSES_BUT_AUTH)
async def test_unimplemented_rpcs_answer_unimplemented(
    name, start_process, auth_server, auth_channel, closed_port_url
):
    process = await start(name, start_process, auth_server, closed_port_url)
    caller = await create_account(auth_channel)
    registration = process._registrations[0]  # the service itself; extras (e.g. OIP) follow
    methods = unimplemented_methods(registration)
    async with grpc.aio.insecure_channel(process.address) as channel:
        codes = {
            m.name: await call(channel, registration.full_name, m, caller.metadata) for m in methods
        }
    assert codes == {m.name: grpc.StatusCode.UNIMPLEMENTED for m in methods}


@pytest.mark.parametrize("name", PROCESSES_BUT_AUTH)
async def test_calls_without_a_valid_token_are_unauthenticated(
    name, start_process, auth_server, closed_port_url
):
    process = await start(name, start_process, auth_server, closed_port_url)
    registration = process._registrations[0]  # the service itself; extras (e.g. OIP) follow
    service = servicer_descriptor(registration.full_name)
    # Share links are read without signing in; the model catalog is not user data.
    public = {"GetSharedDataset", "DownloadSharedDataset", "ListModels", "GetModel"}
    methods = [m for m in service.methods if m.name not in public]
    async with grpc.aio.insecure_channel(process.address) as channel:
        for metadata in ((), [("authorization", "Bearer not-a-jwt")]):
            codes = {
                m.name: await call(channel, registration.full_name, m, metadata) for m in methods
            }
            assert codes == {m.name: grpc.StatusCode.UNAUTHENTICATED for m in methods}
