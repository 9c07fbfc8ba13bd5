"""Where dataset bytes live. Local directory by default; the interface keeps an object
store possible without touching the service.

Writes are atomic: bytes go to a temp file, are fsync'ed, then renamed into place, so a
crash mid-upload leaves at most a temp file, which `sweep()` removes at the next start.
"""

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, Protocol


class BlobWriter(Protocol):
    def write(self, data: bytes) -> None: ...
    def flush(self) -> None: ...
    def commit(self) -> str: ...
    def abort(self) -> None: ...
    @property
    def path(self) -> Path: ...


class BlobStore(Protocol):
    def writer(self) -> BlobWriter: ...
    def path(self, key: str) -> Path: ...
    def read(self, key: str, chunk_size: int) -> Iterator[bytes]: ...
    def delete(self, key: str) -> None: ...
    def sweep(self) -> int: ...


class _LocalWriter:
    def __init__(self, store: "LocalBlobStore") -> None:
        self._store = store
        self._key = uuid.uuid4().hex
        self.path = store.temp_dir / f"{self._key}.part"
        self._file: BinaryIO = self.path.open("xb")

    def write(self, data: bytes) -> None:
        self._file.write(data)

    def flush(self) -> None:
        """Make everything written so far readable at `path` (validation reads it there)."""
        self._file.flush()

    def commit(self) -> str:
        """Durable before visible: fsync the data, rename, fsync the directory."""
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()
        final = self._store.path(self._key)
        os.replace(self.path, final)
        _fsync_dir(final.parent)
        return self._key

    def abort(self) -> None:
        self._file.close()
        self.path.unlink(missing_ok=True)


class LocalBlobStore:
    def __init__(self, root: Path) -> None:
        self.blob_dir = root / "blobs"
        self.temp_dir = root / "tmp"
        self.blob_dir.mkdir(parents=True, exist_ok=True)
        self.temp_dir.mkdir(parents=True, exist_ok=True)

    def writer(self) -> _LocalWriter:
        return _LocalWriter(self)

    def path(self, key: str) -> Path:
        if not key.isalnum():  # keys are generated hex; anything else is a bug or an attack
            raise ValueError(f"invalid blob key {key!r}")
        return self.blob_dir / key

    def read(self, key: str, chunk_size: int = 64 * 1024) -> Iterator[bytes]:
        with self.path(key).open("rb") as file:
            while chunk := file.read(chunk_size):
                yield chunk

    def delete(self, key: str) -> None:
        self.path(key).unlink(missing_ok=True)

    def sweep(self) -> int:
        """Remove temp files of uploads that never finished (the process died mid-upload)."""
        stale = list(self.temp_dir.glob("*.part"))
        for path in stale:
            path.unlink(missing_ok=True)
        return len(stale)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
