"""Acting for a user: a service account's token plus `x-act-as-user` makes the handler see
that user (role user, the service account as actor), on a probe service behind the shared
AuthInterceptor and on the real datasets service. Nobody else may send the header."""

import dataclasses
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import grpc
import pytest
import structlog
from sqlalchemy import update
from structlog.testing import capture_logs

from inferlane.auth.v1 import auth_service_pb2 as auth_pb
from inferlane.common import principal
from inferlane.common.auth.remote import interceptor, remote_keys
from inferlane.common.auth.service_credentials import ServiceCredentials
from inferlane.common.db import make_engine
from inferlane.common.grpc.client import channel as peer_channel
from inferlane.common.grpc.server import GrpcProcess, Registration
from inferlane.common.principal import ACT_AS_HEADER
from inferlane.common.settings import ServiceSettings
from inferlane.datasets.v1 import datasets_service_pb2 as datasets_pb
from services.auth.tables import users
from services.datasets.process import build as build_datasets
from services.datasets.settings import DatasetsSettings
from tests.support.accounts import auth_stub, bearer, create_account
from tests.support.datasets import read_all, upload
from tests.support.datasets import stub as datasets_stub
from tests.support.in_process import fast
from tests.support.service_accounts import ServiceAccount, acting, service_account, service_token

PROBE = "test.Caller"
PUBLIC = f"/{PROBE}/Public"
REVIEWS = b"text,stars\nLovely fabric,4\nArrived torn,1\n"


async def who(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
    caller = principal.current_or_none()
    return json.dumps(caller and dataclasses.asdict(caller)).encode()


async def forward(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
    """Calls WhoAmI at the address in the request, as services call their peers."""
    async with peer_channel(request.decode()) as ch:
        return await ch.unary_unary(f"/{PROBE}/WhoAmI")(b"", timeout=5)


def add_handlers(_servicer: object, server: grpc.aio.Server) -> None:
    handlers = {
        name: grpc.unary_unary_rpc_method_handler(fn)
        for name, fn in [("WhoAmI", who), ("Public", who), ("Forward", forward)]
    }
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(PROBE, handlers),))


@pytest.fixture
async def probe(auth_server: GrpcProcess) -> AsyncIterator[str]:
    """A service that verifies tokens with the auth service's keys, like every service."""
    settings = ServiceSettings(grpc_port=0, auth_addr=auth_server.address)
    keys = remote_keys(settings)
    process = GrpcProcess(
        name="probe",
        settings=settings,
        registrations=[Registration(PROBE, add_handlers, None)],
        auth=interceptor(keys, frozenset({PUBLIC})),
        on_stop=[keys.close],
    )
    await process.start()
    yield process.address
    await process.stop(grace=0)


@pytest.fixture
async def service(migrated_db: str) -> AsyncIterator[ServiceAccount]:
    async with service_account(migrated_db) as account:
        yield account


@pytest.fixture
async def token(auth_channel, service) -> str:
    return await service_token(auth_channel, service.key)


async def call(address: str, method: str, metadata, request: bytes = b"") -> dict[str, Any] | None:
    async with grpc.aio.insecure_channel(address) as ch:
        reply = await ch.unary_unary(f"/{PROBE}/{method}")(request, metadata=metadata, timeout=5)
    return json.loads(reply)


async def failure(address: str, method: str, metadata) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call(address, method, metadata)
    return caught.value


async def test_a_service_acting_for_a_user_is_that_user(probe, auth_channel, service, token):
    user = await create_account(auth_channel)

    seen = await call(probe, "WhoAmI", acting(token, user.user_id))

    assert seen is not None and seen.pop("api_key_id")  # the service's key, not a sign-in
    assert seen == {
        "user_id": user.user_id,
        "role": "user",
        "token": token,
        "actor": service.user_id,
    }


async def test_acting_for_an_admin_gives_only_a_users_rights(
    probe, auth_channel, token, migrated_db
):
    user = await create_account(auth_channel)
    engine = make_engine(migrated_db, pool_size=1)
    async with engine.begin() as conn:
        await conn.execute(
            update(users).where(users.c.id == uuid.UUID(user.user_id)).values(role="admin")
        )
    await engine.dispose()

    seen = await call(probe, "WhoAmI", acting(token, user.user_id))

    assert seen is not None and (seen["user_id"], seen["role"]) == (user.user_id, "user")


async def test_the_user_id_is_taken_in_canonical_form(probe, token):
    user_id = uuid.uuid4()

    seen = await call(probe, "WhoAmI", acting(token, str(user_id).upper()))

    assert seen is not None and seen["user_id"] == str(user_id)


async def test_a_service_without_the_header_stays_a_service_that_owns_nothing(
    probe, service, token
):
    seen = await call(probe, "WhoAmI", bearer(token))

    assert seen is not None and seen.pop("api_key_id")
    assert seen == {"user_id": service.user_id, "role": "service", "token": token, "actor": None}


async def test_a_user_sending_the_header_is_permission_denied(probe, auth_channel):
    user, other = await create_account(auth_channel), await create_account(auth_channel)

    error = await failure(probe, "WhoAmI", [*user.metadata, (ACT_AS_HEADER, other.user_id)])

    assert error.code() == grpc.StatusCode.PERMISSION_DENIED
    assert error.details() == "only service accounts may act for a user"


async def test_an_anonymous_caller_sending_the_header_is_permission_denied(probe):
    assert await call(probe, "Public", []) is None  # the method itself is open

    error = await failure(probe, "Public", [(ACT_AS_HEADER, str(uuid.uuid4()))])

    assert error.code() == grpc.StatusCode.PERMISSION_DENIED


@pytest.mark.parametrize(
    "values",
    [
        ["not-a-uuid"],
        [""],
        ["12345678123456781234567812345678"],  # uuid.UUID takes it; the header does not
        ["{12345678-1234-5678-1234-567812345678}"],
        [" 12345678-1234-5678-1234-567812345678"],
        [str(uuid.uuid4()), str(uuid.uuid4())],  # which one?
    ],
)
async def test_a_malformed_user_id_is_invalid_argument(probe, token, values):
    metadata = [*bearer(token), *((ACT_AS_HEADER, v) for v in values)]

    error = await failure(probe, "WhoAmI", metadata)

    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_calls_made_while_acting_go_on_acting_for_the_same_user(
    probe, auth_channel, service, token
):
    user = await create_account(auth_channel)

    seen = await call(probe, "Forward", acting(token, user.user_id), probe.encode())

    assert seen is not None
    assert (seen["user_id"], seen["role"], seen["actor"]) == (user.user_id, "user", service.user_id)


async def test_the_rpc_log_line_names_the_actor_and_the_next_rpc_does_not(
    probe, auth_channel, service, token
):
    user = await create_account(auth_channel)

    with capture_logs(processors=[structlog.contextvars.merge_contextvars]) as logs:
        await call(probe, "WhoAmI", acting(token, user.user_id))
        await call(probe, "WhoAmI", bearer(token))

    acted, plain = [e for e in logs if e["event"] == "rpc" and e["method"].startswith(f"/{PROBE}")]
    assert (acted["actor"], acted["acting_for"]) == (service.user_id, user.user_id)
    assert "actor" not in plain and "acting_for" not in plain


async def test_service_credentials_act_for_a_user(probe, auth_channel, service):
    user = await create_account(auth_channel)
    credentials = ServiceCredentials(auth_channel, service.key)

    seen = await call(probe, "WhoAmI", await credentials.metadata(user.user_id))

    assert seen is not None and (seen["user_id"], seen["actor"]) == (user.user_id, service.user_id)


async def test_the_auth_service_does_not_let_a_service_act_there(auth_channel, token):
    user = await create_account(auth_channel)
    stub = auth_stub(auth_channel)

    for attempt in (
        stub.GetCurrentUser(auth_pb.GetCurrentUserRequest(), metadata=acting(token, user.user_id)),
        stub.CreateApiKey(
            auth_pb.CreateApiKeyRequest(name="x"), metadata=acting(token, user.user_id)
        ),
    ):
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await attempt
        assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED
    keys = await stub.ListApiKeys(auth_pb.ListApiKeysRequest(), metadata=user.metadata)
    assert list(keys.api_keys) == []


# -- the real datasets service ---------------------------------------------------------------


@pytest.fixture
async def datasets(migrated_db, nats_url, auth_server, start_process, tmp_path):
    settings = fast(
        DatasetsSettings,
        database_url=migrated_db,
        nats_url=nats_url,
        auth_addr=auth_server.address,
        storage_dir=tmp_path / "blobs",
    )
    process = await start_process(build_datasets, settings)
    async with grpc.aio.insecure_channel(process.address) as ch:
        yield ch


async def test_acting_for_the_owner_reads_their_dataset_and_nobody_elses(
    datasets, auth_channel, token
):
    owner, other = await create_account(auth_channel), await create_account(auth_channel)
    dataset = await upload(datasets, owner.metadata, "reviews.csv", REVIEWS)
    get = datasets_stub(datasets).GetDataset
    request = datasets_pb.GetDatasetRequest(dataset_id=dataset.id)

    found = await get(request, metadata=acting(token, owner.user_id))
    rows = await read_all(datasets, acting(token, owner.user_id), dataset.id)

    assert found.dataset.id == dataset.id
    assert [content["text"] for _, content in rows] == ["Lovely fabric", "Arrived torn"]
    for metadata in (bearer(token), acting(token, other.user_id)):
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await get(request, metadata=metadata)
        assert caught.value.code() == grpc.StatusCode.NOT_FOUND
