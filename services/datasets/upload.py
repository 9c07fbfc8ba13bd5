"""Receiving an upload: stream chunks to the blob store, hashing and counting as they pass.

Gzip is recognised by its magic bytes and inflated on the fly; the size limit applies to the
inflated bytes and is checked as each piece arrives, so a small bomb never grows past it.
"""

import hashlib
import zlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

from inferlane.common.errors import UNREADABLE_FILE, InvalidInput, PayloadTooLarge
from services.datasets.blobstore import BlobStore, BlobWriter

GZIP_MAGIC = b"\x1f\x8b"
# Inflate in bounded steps: decompress() with max_length never returns more than this.
INFLATE_STEP = 256 * 1024


@dataclass(frozen=True)
class StoredUpload:
    writer: BlobWriter
    size_bytes: int
    sha256: str
    gzipped: bool


class _Sink:
    def __init__(self, writer: BlobWriter, limit: int) -> None:
        self.writer = writer
        self.limit = limit
        self.size = 0
        self.digest = hashlib.sha256()

    def write(self, data: bytes) -> None:
        self.size += len(data)
        if self.size > self.limit:
            raise PayloadTooLarge(f"the file is larger than the {self.limit:,}-byte limit")
        self.digest.update(data)
        self.writer.write(data)


async def receive(chunks: AsyncIterator[bytes], store: BlobStore, limit: int) -> StoredUpload:
    """Store every chunk; on any error nothing is left behind (the temp file is removed)."""
    writer = store.writer()
    sink = _Sink(writer, limit)
    inflater: zlib._Decompress | None = None
    first = True
    try:
        async for chunk in chunks:
            if first and chunk:
                first = False
                if chunk.startswith(GZIP_MAGIC):
                    inflater = zlib.decompressobj(wbits=31)
            if inflater is None:
                sink.write(chunk)
            else:
                _inflate(inflater, chunk, sink)
        if inflater is not None:
            if not inflater.eof:
                raise InvalidInput("the gzip stream is truncated", code=UNREADABLE_FILE)
            sink.write(inflater.flush())
        writer.flush()
    except BaseException:
        writer.abort()
        raise
    return StoredUpload(writer, sink.size, sink.digest.hexdigest(), inflater is not None)


def _inflate(inflater: "zlib._Decompress", chunk: bytes, sink: _Sink) -> None:
    data = chunk
    try:
        while data:
            sink.write(inflater.decompress(data, INFLATE_STEP))
            data = inflater.unconsumed_tail
    except zlib.error as exc:
        raise InvalidInput(
            f"the file looks gzip-compressed but is corrupt ({exc})", code=UNREADABLE_FILE
        ) from exc
