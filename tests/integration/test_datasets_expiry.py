"""Opt-in dataset expiry: a dataset uploaded under DATASETS_TTL_SECONDS carries expires_at;
the janitor deletes it (row, event, file) then and not before, never one a running task
leases, and nothing at all when it dies mid-batch."""

import uuid
from datetime import UTC, timedelta

import grpc
import psycopg
import pytest
from sqlalchemy.ext.asyncio import create_async_engine

from inferlane.common.db import psycopg_url
from inferlane.datasets.v1 import datasets_service_pb2 as pb
from services.datasets.blobstore import LocalBlobStore
from services.datasets.expiry import DatasetJanitor
from services.datasets.process import build as build_datasets
from services.datasets.settings import DatasetsSettings
from tests.support.accounts import MovableClock, create_account
from tests.support.datasets import stub, upload
from tests.support.in_process import fast

TTL = timedelta(hours=1)
CSV = b"text\nfine\n"


class Crash(Exception):
    pass


def crash(ids: list[uuid.UUID]) -> None:
    raise Crash(f"killed mid-batch with {len(ids)} datasets")


@pytest.fixture
async def expiring(migrated_db, nats_url, auth_server, start_process, tmp_path):
    settings = fast(
        DatasetsSettings,
        database_url=migrated_db,
        nats_url=nats_url,
        auth_addr=auth_server.address,
        storage_dir=tmp_path / "blobs",
        max_upload_bytes=1_000_000,
        ttl_seconds=int(TTL.total_seconds()),
        janitor_interval_seconds=3600,  # this test sweeps by hand, with its own clock
    )
    server = await start_process(build_datasets, settings)
    async with grpc.aio.insecure_channel(server.address) as channel:
        yield channel, settings


async def _blob_key(db: str, dataset_id: str) -> str:
    async with await psycopg.AsyncConnection.connect(db) as conn:
        found = await conn.execute(
            "SELECT blob_key FROM datasets.datasets WHERE id = %s", [dataset_id]
        )
        return (await found.fetchone())[0]


async def _lease(db: str, dataset_id: str) -> None:
    async with await psycopg.AsyncConnection.connect(db) as conn:
        await conn.execute(
            "INSERT INTO datasets.dataset_leases (task_id, dataset_id) VALUES (%s, %s)",
            [uuid.uuid4(), dataset_id],
        )


async def test_expired_datasets_go_once_on_time_unless_leased(expiring, auth_server, migrated_db):
    channel, settings = expiring
    async with grpc.aio.insecure_channel(auth_server.address) as auth:
        me = await create_account(auth)
    free = await upload(channel, me.metadata, "free.csv", CSV)
    leased = await upload(channel, me.metadata, "leased.csv", CSV)
    lifetime = free.expires_at.ToDatetime() - free.created_at.ToDatetime()
    assert abs(lifetime - TTL) < timedelta(minutes=1)
    await _lease(migrated_db, leased.id)
    store = LocalBlobStore(settings.storage_dir)
    free_file = store.path(await _blob_key(migrated_db, free.id))
    assert free_file.exists()

    engine = create_async_engine(psycopg_url(migrated_db))
    clock = MovableClock(max(d.expires_at.ToDatetime(tzinfo=UTC) for d in (free, leased)))
    try:
        clock.advance(seconds=-120)  # before either expires
        early = DatasetJanitor(engine, store, interval_seconds=1, batch=500, clock=clock)
        assert await early.sweep() == 0

        clock.advance(seconds=240)
        dying = DatasetJanitor(
            engine, store, interval_seconds=1, batch=500, clock=clock, mid_batch=crash
        )
        with pytest.raises(Crash):
            await dying.sweep()
        got = await stub(channel).GetDataset(
            pb.GetDatasetRequest(dataset_id=free.id), metadata=me.metadata
        )
        assert got.dataset.id == free.id and free_file.exists()

        janitor = DatasetJanitor(engine, store, interval_seconds=1, batch=500, clock=clock)
        assert await janitor.sweep() >= 1
        assert await janitor.sweep() == 0  # nothing is taken twice
    finally:
        await engine.dispose()
    with pytest.raises(grpc.aio.AioRpcError) as gone:
        await stub(channel).GetDataset(
            pb.GetDatasetRequest(dataset_id=free.id), metadata=me.metadata
        )
    assert gone.value.code() == grpc.StatusCode.NOT_FOUND
    assert not free_file.exists()
    kept = await stub(channel).GetDataset(
        pb.GetDatasetRequest(dataset_id=leased.id), metadata=me.metadata
    )
    assert kept.dataset.id == leased.id  # a running task reads it: it waits for the task
