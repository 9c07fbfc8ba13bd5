"""Files sent as multipart form data, read in chunks as httpx sends them, with progress."""

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

ProgressCallback = Callable[[int, int], None]  # (bytes so far, total bytes)

FILE_FIELD = "file"


class _ProgressReader:
    """The file as httpx reads it (in 64 KiB chunks), reporting each chunk."""

    def __init__(self, raw: IO[bytes], total: int, callback: ProgressCallback) -> None:
        self._raw = raw
        self._total = total
        self._callback = callback
        self._sent = 0
        self.name = raw.name

    def read(self, size: int = -1) -> bytes:
        chunk = self._raw.read(size)
        self._sent += len(chunk)
        self._callback(self._sent, self._total)
        return chunk

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        position = self._raw.seek(offset, whence)
        self._sent = position  # httpx rewinds before sending: start counting again
        return position

    def tell(self) -> int:
        return self._raw.tell()

    def fileno(self) -> int:
        return self._raw.fileno()


@dataclass(frozen=True)
class Upload:
    """A file to send; opened afresh for every attempt, so a retried request resends it whole."""

    path: Path
    fields: dict[str, str]  # sent before the file, so the gateway can check them first
    progress: ProgressCallback | None = None

    @contextmanager
    def open(self) -> Iterator[tuple[dict[str, str], dict[str, Any]]]:
        with self.path.open("rb") as raw:
            body: Any = raw
            if self.progress is not None:
                body = _ProgressReader(raw, os.fstat(raw.fileno()).st_size, self.progress)
            yield self.fields, {FILE_FIELD: (self.path.name, body)}
