"""The datasets service over gRPC: real PostgreSQL, real auth, real files on disk."""

import gzip
import hashlib
from datetime import UTC, datetime, timedelta

import grpc
import pytest
from sqlalchemy import create_engine, text

from inferlane.common.db import psycopg_url
from inferlane.common.errors import DOMAIN_CODE_KEY
from inferlane.datasets.v1 import datasets_service_pb2 as pb
from inferlane.datasets.v1 import datasets_types_pb2 as types
from services.datasets.process import build as build_datasets
from services.datasets.settings import DatasetsSettings
from tests.support.accounts import create_account
from tests.support.datasets import dataset_rows, read_all, stub, upload
from tests.support.in_process import fast

REVIEWS = (
    b"text,stars,verified,date\n"
    b'"Lovely fabric, runs small",4,true,2024-05-01\n'
    b'"Arrived torn.\nWould not buy again",1,false,2024-05-02\n'
    b"Fine,3,true,2024-05-03\n"
)


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def datasets_server(migrated_db, nats_url, auth_server, start_process, tmp_path, clock):
    settings = fast(
        DatasetsSettings,
        database_url=migrated_db,
        nats_url=nats_url,
        auth_addr=auth_server.address,
        storage_dir=tmp_path / "blobs",
        max_upload_bytes=1_000_000,
    )
    return await start_process(lambda s: build_datasets(s, clock=clock), settings)


@pytest.fixture
async def channel(datasets_server):
    async with grpc.aio.insecure_channel(datasets_server.address) as ch:
        yield ch


@pytest.fixture
async def alice(auth_channel):
    return await create_account(auth_channel)


@pytest.fixture
async def bob(auth_channel):
    return await create_account(auth_channel)


def blob_files(tmp_path) -> list:
    return [p for p in (tmp_path / "blobs").rglob("*") if p.is_file()]


async def rejection(call) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await call
    return info.value


async def test_upload_profiles_the_file_and_keeps_its_bytes(channel, alice):
    dataset = await upload(channel, alice.metadata, "reviews.csv", REVIEWS)
    assert dataset.format == types.DATASET_FORMAT_CSV
    assert dataset.rows == 3 and dataset.size_bytes == len(REVIEWS)
    assert dataset.sha256 == hashlib.sha256(REVIEWS).hexdigest()
    assert [(c.name, c.type) for c in dataset.columns] == [
        ("text", types.COLUMN_TYPE_STRING),
        ("stars", types.COLUMN_TYPE_INTEGER),
        ("verified", types.COLUMN_TYPE_BOOLEAN),
        ("date", types.COLUMN_TYPE_DATETIME),
    ]
    assert dataset.text_column == "text"
    downloaded = b"".join(
        [
            m.chunk
            async for m in stub(channel).DownloadDataset(
                pb.DownloadDatasetRequest(dataset_id=dataset.id), metadata=alice.metadata
            )
        ]
    )
    assert downloaded == REVIEWS


async def test_rows_and_resumable_read_rows(channel, alice):
    dataset = await upload(channel, alice.metadata, "reviews.csv", REVIEWS)
    rows = (
        await stub(channel).GetRows(
            pb.GetRowsRequest(dataset_id=dataset.id, offset=1, limit=5), metadata=alice.metadata
        )
    ).rows
    assert [r["text"] for r in rows] == ["Arrived torn.\nWould not buy again", "Fine"]
    everything = await read_all(channel, alice.metadata, dataset.id, column="text")
    assert [i for i, _ in everything] == [0, 1, 2]
    resumed = await read_all(channel, alice.metadata, dataset.id, column="text", start=1)
    assert resumed == everything[1:]


@pytest.mark.parametrize("offset", [0, 5, 19, 20, 28, 29, 30])
async def test_rows_pages_past_the_stored_preview(channel, alice, offset):
    """30 rows, a 20-row preview: every page comes from the preview or the file, never empty."""
    data = ("text\n" + "".join(f"review {i}\n" for i in range(30))).encode()
    dataset = await upload(channel, alice.metadata, "thirty.csv", data)
    rows = (
        await stub(channel).GetRows(
            pb.GetRowsRequest(dataset_id=dataset.id, offset=offset, limit=20),
            metadata=alice.metadata,
        )
    ).rows
    assert [r["text"] for r in rows] == [f"review {i}" for i in range(offset, min(offset + 20, 30))]


async def test_large_upload_streams_in_order(channel, alice):
    lines = [f"review number {i} with, a comma" for i in range(5000)]
    data = ("text\n" + "".join(f'"{line}"\n' for line in lines)).encode()
    dataset = await upload(channel, alice.metadata, "big.csv", data)
    assert dataset.rows == 5000
    tail = await read_all(channel, alice.metadata, dataset.id, column="text", start=4990)
    assert tail == [(i, lines[i]) for i in range(4990, 5000)]


async def test_gzip_upload_is_inflated(channel, alice):
    dataset = await upload(channel, alice.metadata, "reviews.csv.gz", gzip.compress(REVIEWS))
    assert dataset.rows == 3 and dataset.sha256 == hashlib.sha256(REVIEWS).hexdigest()


async def test_gzip_bomb_is_refused_without_writing_it_out(channel, alice, tmp_path, migrated_db):
    bomb = gzip.compress(b"a" * 50_000_000)  # 50 MB of 'a' in ~50 KB
    error = await rejection(upload(channel, alice.metadata, "bomb.csv.gz", bomb))
    assert error.code() == grpc.StatusCode.OUT_OF_RANGE
    assert blob_files(tmp_path) == [] and dataset_rows(migrated_db, alice.user_id) == 0


async def test_over_the_limit_is_refused_and_leaves_nothing(channel, alice, tmp_path, migrated_db):
    error = await rejection(
        upload(channel, alice.metadata, "big.csv", b"text\n" + b"x" * 1_100_000)
    )
    assert error.code() == grpc.StatusCode.OUT_OF_RANGE
    assert blob_files(tmp_path) == [] and dataset_rows(migrated_db, alice.user_id) == 0


@pytest.mark.parametrize(
    ("name", "data", "words"),
    [
        ("empty.csv", b"", "empty"),
        ("noise.csv", b"text\n" + bytes(range(0x80, 0x100)) * 20, "UTF-8"),
        ("image.csv", b"\x89PNG\r\n\x1a\n" + bytes(200), "binary"),
        ("header.csv", b"text,stars\n", "no rows"),
        ("ragged.csv", b"a,b\n1,2\n3,4,5\n", "line 3"),
        ("dupes.csv", b"text,text\n1,2\n", "duplicate"),
        ("bad.jsonl", b'{"a": 1}\n{"a": \n', "line 2"),
    ],
)
async def test_unreadable_files_are_refused_with_code_02(
    channel, alice, tmp_path, name, data, words
):
    error = await rejection(upload(channel, alice.metadata, name, data))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert dict(error.trailing_metadata())[DOMAIN_CODE_KEY] == "02"
    assert words.lower() in error.details().lower()
    assert blob_files(tmp_path) == []


async def test_upload_must_start_with_metadata(channel, alice):
    async def chunks_only():
        yield pb.UploadDatasetRequest(chunk=b"text\nhi\n")

    error = await rejection(stub(channel).UploadDataset(chunks_only(), metadata=alice.metadata))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_client_file_name_is_only_a_display_name(channel, alice, tmp_path):
    dataset = await upload(channel, alice.metadata, "../../etc/passwd\x00.csv", REVIEWS)
    assert dataset.name == "passwd.csv"
    assert all(p.parent.name in ("blobs", "tmp") for p in blob_files(tmp_path))


async def test_list_is_paginated_and_only_mine(channel, alice, bob):
    ids = [(await upload(channel, alice.metadata, f"r{i}.csv", REVIEWS)).id for i in range(3)]
    await upload(channel, bob.metadata, "bob.csv", REVIEWS)
    first = await stub(channel).ListDatasets(
        pb.ListDatasetsRequest(page_size=2), metadata=alice.metadata
    )
    second = await stub(channel).ListDatasets(
        pb.ListDatasetsRequest(page_size=2, page_token=first.next_page_token),
        metadata=alice.metadata,
    )
    seen = [d.id for d in first.datasets] + [d.id for d in second.datasets]
    assert sorted(seen) == sorted(ids) and len(seen) == len(set(seen))
    assert first.next_page_token and not second.next_page_token
    whole = await stub(channel).ListDatasets(
        pb.ListDatasetsRequest(page_size=3), metadata=alice.metadata
    )
    # Exactly full and the last: no token that would lead to an empty page.
    assert len(whole.datasets) == 3 and whole.next_page_token == ""


async def test_delete_removes_metadata_and_bytes(channel, alice, tmp_path):
    dataset = await upload(channel, alice.metadata, "reviews.csv", REVIEWS)
    assert len(blob_files(tmp_path)) == 1
    await stub(channel).DeleteDataset(
        pb.DeleteDatasetRequest(dataset_id=dataset.id), metadata=alice.metadata
    )
    assert blob_files(tmp_path) == []
    error = await rejection(
        stub(channel).GetDataset(
            pb.GetDatasetRequest(dataset_id=dataset.id), metadata=alice.metadata
        )
    )
    assert error.code() == grpc.StatusCode.NOT_FOUND


async def test_another_users_dataset_is_not_found_on_every_rpc(channel, alice, bob):
    dataset = await upload(channel, alice.metadata, "reviews.csv", REVIEWS)
    share = (
        await stub(channel).CreateShare(
            pb.CreateShareRequest(dataset_id=dataset.id), metadata=alice.metadata
        )
    ).share
    s, d = stub(channel), dataset.id
    calls = [
        s.GetDataset(pb.GetDatasetRequest(dataset_id=d), metadata=bob.metadata),
        s.GetRows(pb.GetRowsRequest(dataset_id=d), metadata=bob.metadata),
        read_all(channel, bob.metadata, d),
        s.DownloadDataset(pb.DownloadDatasetRequest(dataset_id=d), metadata=bob.metadata).read(),
        s.DeleteDataset(pb.DeleteDatasetRequest(dataset_id=d), metadata=bob.metadata),
        s.CreateShare(pb.CreateShareRequest(dataset_id=d), metadata=bob.metadata),
        s.RevokeShare(
            pb.RevokeShareRequest(dataset_id=d, share_id=share.id), metadata=bob.metadata
        ),
    ]
    for call in calls:
        assert (await rejection(call)).code() == grpc.StatusCode.NOT_FOUND
    # ...and it is all still there for its owner.
    assert (
        await s.GetDataset(pb.GetDatasetRequest(dataset_id=d), metadata=alice.metadata)
    ).dataset.rows == 3


async def test_share_link_lifecycle_with_expiry_and_revocation(channel, alice, clock):
    dataset = await upload(channel, alice.metadata, "reviews.csv", REVIEWS)
    s = stub(channel)
    share = (
        await s.CreateShare(
            pb.CreateShareRequest(dataset_id=dataset.id, expires_in=3600), metadata=alice.metadata
        )
    ).share
    shared = await s.GetSharedDataset(pb.GetSharedDatasetRequest(token=share.token))  # no sign-in
    assert shared.dataset.id == dataset.id and len(shared.preview_rows) == 3
    clock.now += timedelta(hours=2)
    expired = await rejection(s.GetSharedDataset(pb.GetSharedDatasetRequest(token=share.token)))
    assert expired.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert dict(expired.trailing_metadata())[DOMAIN_CODE_KEY] == "gone"
    fresh = (
        await s.CreateShare(pb.CreateShareRequest(dataset_id=dataset.id), metadata=alice.metadata)
    ).share
    await s.RevokeShare(
        pb.RevokeShareRequest(dataset_id=dataset.id, share_id=fresh.id), metadata=alice.metadata
    )
    revoked = await rejection(s.GetSharedDataset(pb.GetSharedDatasetRequest(token=fresh.token)))
    assert dict(revoked.trailing_metadata())[DOMAIN_CODE_KEY] == "gone"
    unknown = await rejection(s.GetSharedDataset(pb.GetSharedDatasetRequest(token="nope")))
    assert unknown.code() == grpc.StatusCode.NOT_FOUND


@pytest.mark.parametrize("seconds", [-1, 7 * 24 * 3600 + 1])
async def test_share_expiry_is_capped_at_seven_days(channel, alice, seconds):
    dataset = await upload(channel, alice.metadata, "reviews.csv", REVIEWS)
    error = await rejection(
        stub(channel).CreateShare(
            pb.CreateShareRequest(dataset_id=dataset.id, expires_in=seconds),
            metadata=alice.metadata,
        )
    )
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_unknown_column_is_invalid_input(channel, alice):
    dataset = await upload(channel, alice.metadata, "reviews.csv", REVIEWS)
    error = await rejection(read_all(channel, alice.metadata, dataset.id, column="nope"))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_share_tokens_are_stored_hashed(channel, alice, migrated_db):
    dataset = await upload(channel, alice.metadata, "reviews.csv", REVIEWS)
    share = (
        await stub(channel).CreateShare(
            pb.CreateShareRequest(dataset_id=dataset.id), metadata=alice.metadata
        )
    ).share
    engine = create_engine(psycopg_url(migrated_db))
    with engine.connect() as conn:
        stored = conn.execute(
            text("SELECT token_sha256 FROM datasets.shares WHERE id = :i"), {"i": share.id}
        ).scalar_one()
    engine.dispose()
    assert stored == hashlib.sha256(share.token.encode()).hexdigest() and share.token not in stored


def lease_count(url: str, task_id: str) -> int:
    engine = create_engine(psycopg_url(url))
    try:
        with engine.connect() as conn:
            query = text("SELECT count(*) FROM datasets.dataset_leases WHERE task_id = :t")
            return conn.execute(query, {"t": task_id}).scalar_one()
    finally:
        engine.dispose()


async def test_a_dataset_used_by_a_running_task_cannot_be_deleted(
    channel, alice, nats_url, migrated_db
):
    """The tasks service's lifecycle events lease the dataset while its task runs."""
    import uuid

    import nats

    from inferlane.common.nats import ensure_stream
    from inferlane.events.v1 import events_pb2
    from services.tasks.streams import EVENTS
    from tests.support.waiting import eventually

    dataset = await upload(channel, alice.metadata, "reviews.csv", REVIEWS)
    client = await nats.connect(nats_url)
    js = client.jetstream()
    await ensure_stream(js, EVENTS)
    task_id = str(uuid.uuid4())
    created = events_pb2.TaskCreated(
        event_id=str(uuid.uuid4()), owner_id=alice.user_id, task_id=task_id, dataset_id=dataset.id
    )
    await js.publish("tasks.task.created", created.SerializeToString())

    async def leased() -> bool:
        return lease_count(migrated_db, task_id) == 1

    await eventually(leased, 15, "the lease to be taken")
    delete = pb.DeleteDatasetRequest(dataset_id=dataset.id)
    error = await rejection(stub(channel).DeleteDataset(delete, metadata=alice.metadata))
    assert error.code() == grpc.StatusCode.FAILED_PRECONDITION and "running task" in error.details()

    completed = events_pb2.TaskCompleted(
        event_id=str(uuid.uuid4()), owner_id=alice.user_id, task_id=task_id
    )
    await js.publish("tasks.task.completed", completed.SerializeToString())

    async def released() -> bool:
        return lease_count(migrated_db, task_id) == 0

    await eventually(released, 15, "the lease to be released")
    await stub(channel).DeleteDataset(delete, metadata=alice.metadata)
    await client.close()


async def test_a_replayed_task_leases_its_dataset_again(channel, alice, nats_url, migrated_db):
    """created -> failed releases the lease; resumed (a dead letter replayed) takes it again."""
    import uuid

    import nats

    from inferlane.common.nats import ensure_stream
    from inferlane.events.v1 import events_pb2
    from services.tasks.streams import EVENTS
    from tests.support.waiting import eventually

    dataset = await upload(channel, alice.metadata, "reviews.csv", REVIEWS)
    client = await nats.connect(nats_url)
    js = client.jetstream()
    await ensure_stream(js, EVENTS)
    task_id = str(uuid.uuid4())
    ids = {"owner_id": alice.user_id, "task_id": task_id}

    async def publish(subject: str, event) -> None:
        await js.publish(subject, event.SerializeToString())

    async def leases(n: int) -> None:
        async def counted() -> bool:
            return lease_count(migrated_db, task_id) == n

        await eventually(counted, 15, f"{n} lease(s)")

    event_id = lambda: str(uuid.uuid4())  # noqa: E731
    await publish(
        "tasks.task.created",
        events_pb2.TaskCreated(event_id=event_id(), dataset_id=dataset.id, **ids),
    )
    await leases(1)
    await publish("tasks.task.failed", events_pb2.TaskFailed(event_id=event_id(), **ids))
    await leases(0)
    await publish(
        "tasks.task.resumed",
        events_pb2.TaskResumed(event_id=event_id(), dataset_id=dataset.id, **ids),
    )
    await leases(1)
    delete = pb.DeleteDatasetRequest(dataset_id=dataset.id)
    error = await rejection(stub(channel).DeleteDataset(delete, metadata=alice.metadata))
    assert error.code() == grpc.StatusCode.FAILED_PRECONDITION
    await publish("tasks.task.completed", events_pb2.TaskCompleted(event_id=event_id(), **ids))
    await leases(0)
    await client.close()
