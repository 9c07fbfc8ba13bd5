"""kill -9 during an upload leaves no dataset and, after a restart, no stray file."""

import asyncio
import signal

import grpc

from inferlane.datasets.v1 import datasets_service_pb2 as pb
from tests.support.accounts import create_account
from tests.support.datasets import dataset_rows, datasets_process, stub, wait_serving
from tests.support.waiting import free_port


async def test_killed_upload_leaves_no_dataset_and_no_stray_file(
    tmp_path, migrated_db, nats_url, auth_server, auth_channel
):
    alice = await create_account(auth_channel)
    port = free_port()
    address = f"127.0.0.1:{port}"
    server = datasets_process(tmp_path, port, migrated_db, nats_url, auth_server.address)
    server.start()
    try:
        await wait_serving(address)
        half_sent = asyncio.Event()

        async def endless_upload():
            yield pb.UploadDatasetRequest(metadata=pb.UploadMetadata(filename="big.csv"))
            yield pb.UploadDatasetRequest(chunk=b"text\n")
            for i in range(10_000):
                yield pb.UploadDatasetRequest(chunk=b"a review that never ends\n" * 1000)
                if i == 20:
                    half_sent.set()
                await asyncio.sleep(0.01)

        async with grpc.aio.insecure_channel(address) as channel:
            call = stub(channel).UploadDataset(endless_upload(), metadata=alice.metadata)
            upload = asyncio.ensure_future(call)
            await half_sent.wait()
            temp_files = list((tmp_path / "store" / "tmp").glob("*.part"))
            assert temp_files, "the upload should be spooling to a temp file"
            assert server.process is not None
            server.process.send_signal(signal.SIGKILL)
            server.process.wait(10)
            try:
                await upload
                raise AssertionError("the upload cannot succeed: its server died")
            except grpc.aio.AioRpcError as error:
                # grpc-python reports a send into a dead connection as UNAVAILABLE or INTERNAL.
                assert error.code() in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.INTERNAL)

        assert dataset_rows(migrated_db, alice.user_id) == 0
        assert list((tmp_path / "store" / "blobs").iterdir()) == []

        server.start()  # same storage: the restart sweeps what the crash left
        await wait_serving(address)
        assert list((tmp_path / "store" / "tmp").glob("*.part")) == []
        assert list((tmp_path / "store" / "blobs").iterdir()) == []
    finally:
        server.stop()
