"""ReadRows through the stored row-offset index: real upload, real PostgreSQL, real blob."""

import gzip
import json

import grpc
import pytest
from sqlalchemy import create_engine, text

from inferlane.common.db import psycopg_url
from inferlane.datasets.v1 import datasets_service_pb2 as pb
from services.datasets.blobstore import LocalBlobStore
from services.datasets.formats import ROWS_PER_CHECKPOINT
from services.datasets.process import build as build_datasets
from services.datasets.settings import DatasetsSettings
from services.tasks.peers import row_content
from tests.support.accounts import create_account
from tests.support.datasets import stub, upload
from tests.support.in_process import fast

ROWS = 3 * ROWS_PER_CHECKPOINT + 100
TEXTS = [f"review {i}, é\r\nline two" for i in range(ROWS)]
# BOM, CRLF, quoted fields spanning lines, 2-byte characters: offsets must count stored bytes.
CSV = ("\ufeffid,text\r\n" + "".join(f'{i},"{t}"\r\n' for i, t in enumerate(TEXTS))).encode()


@pytest.fixture
async def channel(migrated_db, nats_url, auth_server, start_process, tmp_path):
    settings = fast(
        DatasetsSettings,
        database_url=migrated_db,
        nats_url=nats_url,
        auth_addr=auth_server.address,
        storage_dir=tmp_path / "blobs",
        max_upload_bytes=1_000_000,
    )
    server = await start_process(build_datasets, settings)
    async with grpc.aio.insecure_channel(server.address) as ch:
        yield ch


@pytest.fixture
async def alice(auth_channel):
    return await create_account(auth_channel)


async def texts(channel, alice, dataset_id: str, start: int, limit: int = 256):
    request = pb.ReadRowsRequest(
        dataset_id=dataset_id, column="text", start_row_index=start, limit=limit
    )
    return [
        (row.row_index, row.value.string_value)
        async for reply in stub(channel).ReadRows(request, metadata=alice.metadata)
        for row in reply.rows
    ]


def stored(url: str, dataset_id: str, *, clear: bool = False):
    """(row_offsets, blob_key, whether row_offsets is SQL NULL) of the dataset."""
    engine = create_engine(psycopg_url(url))
    try:
        with engine.begin() as conn:
            if clear:  # as if uploaded before migration 0004
                conn.execute(
                    text("UPDATE datasets.datasets SET row_offsets = NULL WHERE id = :id"),
                    {"id": dataset_id},
                )
            return conn.execute(
                text(
                    "SELECT row_offsets, blob_key, row_offsets IS NULL AS unindexed"
                    " FROM datasets.datasets WHERE id = :id"
                ),
                {"id": dataset_id},
            ).one()
    finally:
        engine.dispose()


async def test_gzip_upload_is_indexed_by_stored_offsets_and_late_reads_seek(
    channel, alice, migrated_db, tmp_path
):
    dataset = await upload(channel, alice.metadata, "reviews.csv.gz", gzip.compress(CSV))
    index, blob_key, _ = stored(migrated_db, dataset.id)
    assert index["every"] == ROWS_PER_CHECKPOINT and index["header"] == ["id", "text"]
    checkpoints = index["checkpoints"]
    every = ROWS_PER_CHECKPOINT
    assert [row for row, _, _ in checkpoints] == [0, every, 2 * every, 3 * every]
    assert checkpoints[0][1] == len("\ufeffid,text\r\n".encode())  # offsets of the inflated file

    for start in (0, every - 1, every, 2 * every + every // 2, ROWS - 5):
        expected = list(enumerate(TEXTS))[start : start + 256]
        assert await texts(channel, alice, dataset.id, start) == expected

    # Ruin every byte before the checkpoint of a late chunk: that chunk still reads, the top
    # cannot, so the read seeks past them.
    late = ROWS - 256
    first, seek_to = checkpoints[0][1], checkpoints[late // ROWS_PER_CHECKPOINT][1]
    blob = LocalBlobStore(tmp_path / "blobs").path(blob_key)
    data = bytearray(blob.read_bytes())
    data[first:seek_to] = b"\xff" * (seek_to - first)
    blob.write_bytes(bytes(data))
    assert await texts(channel, alice, dataset.id, late) == list(enumerate(TEXTS))[late:]
    with pytest.raises(grpc.aio.AioRpcError):
        await texts(channel, alice, dataset.id, 0)


async def test_datasets_without_an_index_are_read_from_the_top(channel, alice, migrated_db):
    dataset = await upload(channel, alice.metadata, "reviews.csv", CSV)
    assert stored(migrated_db, dataset.id, clear=True).unindexed
    start = 2 * ROWS_PER_CHECKPOINT + 7
    assert await texts(channel, alice, dataset.id, start) == list(enumerate(TEXTS))[start:][:256]


async def test_json_arrays_are_not_indexed(channel, alice, migrated_db):
    records = [{"text": t} for t in TEXTS]
    dataset = await upload(channel, alice.metadata, "reviews.json", json.dumps(records).encode())
    assert stored(migrated_db, dataset.id).unindexed
    late = ROWS - 50  # past two checkpoints' worth of rows, read from the top
    assert await texts(channel, alice, dataset.id, late, 3) == [
        (i, TEXTS[i]) for i in range(late, late + 3)
    ]


async def test_whole_rows_as_json_read_back_as_their_structs(channel, alice):
    """`json_records` (the tasks worker's reads): each whole row as JSON where JSON carries it
    as the Struct does, the Struct otherwise (a null, an integer past 64 bits), and the same
    rows either way."""
    records = [
        {"text": "fine", "stars": 5, "price": 9.5, "tags": ["a", {"b": True}]},
        {"text": "no stars", "stars": None, "price": 1.25, "tags": []},
        {"text": "huge", "stars": 10**30, "price": 0.5, "tags": ["c"]},
    ]
    data = "\n".join(json.dumps(r) for r in records).encode()
    dataset = await upload(channel, alice.metadata, "rows.jsonl", data)
    forms, contents = [], []
    for as_json in (False, True):
        request = pb.ReadRowsRequest(dataset_id=dataset.id, json_records=as_json)
        rows = [
            row
            async for reply in stub(channel).ReadRows(request, metadata=alice.metadata)
            for row in reply.rows
        ]
        forms.append([row.WhichOneof("content") for row in rows])
        contents.append([row_content(row) for row in rows])
    assert forms == [["record"] * 3, ["record_json", "record", "record"]]
    assert contents[0] == contents[1]
    assert contents[1][0] == records[0] and isinstance(contents[1][0]["stars"], int)
