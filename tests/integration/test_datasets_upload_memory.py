"""Whatever its shape, one upload costs the datasets service bounded memory.

Each shape is uploaded to the real service running as its own process, and the process's
peak resident memory (VmHWM, from /proc) is compared with a fixed bound. Before the upload
limits, the first shape alone grew the service to 21 GB; the process runs under an
RLIMIT_DATA so that a regression fails this test instead of the machine.
"""

import json
import resource
from pathlib import Path

import grpc
import pytest

from tests.support.accounts import create_account
from tests.support.datasets import datasets_process, upload, wait_serving
from tests.support.waiting import free_port

MIB = 1024 * 1024
# Peak RSS of the whole service process: ~115 MiB at rest, plus what one upload may cost.
PEAK_BOUND = 250 * MIB
# Far above the bound, far below what the shapes cost without limits.
DATA_CEILING = 3 * 1024 * MIB


def nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


def many(item: bytes, count: int) -> bytes:
    return b",".join([item] * count)


SHAPES = {
    # The reported one: 200 KB, 100,000 deep; ijson's items kept a prefix per level.
    "json-bare-nesting": nested(100_000),
    "json-record-nesting": b'[{"text": ' + nested(100_000) + b"}]",
    "jsonl-line-nesting": b'{"text": ' + nested(100_000) + b"}\n",
    # ~100 bytes of Python objects per 3 bytes of input.
    "json-many-values": b'[{"text": [' + many(b"[]", 3_000_000) + b"]}]",
    "jsonl-many-keys": b"{" + b",".join(b'"k%d":0' % i for i in range(700_000)) + b"}\n",
    "csv-many-columns": b"," * (8 * MIB - 10) + b"\n1\n",
    "csv-long-line": b"text\n" + b"x" * (20 * MIB) + b"\n",
    "jsonl-long-value": b'{"text": "' + b"x" * (7 * MIB) + b'"}\n',
}


def peak_rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmHWM in /proc/<pid>/status")


@pytest.mark.parametrize("shape", list(SHAPES))
async def test_upload_of_any_shape_is_refused_within_bounded_memory(
    shape, tmp_path, migrated_db, nats_url, auth_server, auth_channel
):
    alice = await create_account(auth_channel)
    port = free_port()
    server = datasets_process(tmp_path, port, migrated_db, nats_url, auth_server.address)
    server.start()
    try:
        assert server.process is not None
        pid = server.process.pid
        resource.prlimit(pid, resource.RLIMIT_DATA, (DATA_CEILING, DATA_CEILING))
        await wait_serving(f"127.0.0.1:{port}")
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            with pytest.raises(grpc.aio.AioRpcError) as caught:
                await upload(channel, alice.metadata, f"{shape}.data", SHAPES[shape])
        assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT, caught.value.details()
        assert "setting DATASETS_MAX_" in caught.value.details()
        peak = peak_rss(pid)
        print(f"{shape}: peak RSS {peak / MIB:.0f} MiB")
        assert peak < PEAK_BOUND, f"{shape}: peak RSS {peak / MIB:.0f} MiB"
        assert list((tmp_path / "store" / "blobs").iterdir()) == []
    finally:
        server.stop()


async def test_a_large_valid_upload_stays_within_the_same_bound(
    tmp_path, migrated_db, nats_url, auth_server, auth_channel
):
    alice = await create_account(auth_channel)
    port = free_port()
    server = datasets_process(tmp_path, port, migrated_db, nats_url, auth_server.address)
    server.start()
    record = {"text": "a fine review " * 20, "stars": 4, "tags": ["a", "b"], "score": 0.5}
    data = b"[" + many(json.dumps(record).encode(), 120_000) + b"]"  # ~40 MiB
    try:
        assert server.process is not None
        await wait_serving(f"127.0.0.1:{port}")
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            dataset = await upload(channel, alice.metadata, "big.json", data)
        assert dataset.rows == 120_000
        peak = peak_rss(server.process.pid)
        print(f"valid 40 MiB JSON array: peak RSS {peak / MIB:.0f} MiB")
        assert peak < PEAK_BOUND
    finally:
        server.stop()
