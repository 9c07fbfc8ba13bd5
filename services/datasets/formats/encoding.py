"""Read a stored file as strict UTF-8, chunk by chunk, failing with the byte and line at fault.

`Utf8Source` is a raw byte stream that validates every chunk with an incremental decoder as it
is read (so nothing holds the whole file), drops a leading UTF-8 BOM, and refuses binary files
up front. Readers layer `io.BufferedReader` (for JSON) or `io.TextIOWrapper` (for CSV) on top.
Byte offsets in messages count from 0 at the start of the file, BOM included, as hex editors do.
"""

import codecs
import io
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

from .errors import UnreadableFile
from .limits import CHUNK, HEAD, Limits, exceeded

BINARY = "looks like a binary file, not CSV/TSV/JSON/JSONL"

# Signatures of files people upload by mistake (images, archives, office files, executables).
_MAGIC = (
    b"\x89PNG",
    b"PK\x03\x04",
    b"PK\x05\x06",
    b"%PDF-",
    b"\x1f\x8b",
    b"\xff\xd8\xff",
    b"GIF87a",
    b"GIF89a",
    b"7z\xbc\xaf\x27\x1c",
    b"Rar!\x1a\x07",
    b"\x7fELF",
    b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
)
# UTF-32 first: its little-endian mark starts with the UTF-16 one.
_WIDE_BOMS = (
    (b"\xff\xfe\x00\x00", "UTF-32"),
    (b"\x00\x00\xfe\xff", "UTF-32"),
    (b"\xff\xfe", "UTF-16"),
    (b"\xfe\xff", "UTF-16"),
)


def _not_utf8(offset: int, line: int, why: str) -> UnreadableFile:
    where = f"byte {offset:,} (line {line})"
    return UnreadableFile(f"{where} is not valid UTF-8{why}; save the file as UTF-8")


def check_head(head: bytes) -> None:
    """Refuse UTF-16/32 and binary content by its first bytes, before any parsing."""
    for bom, name in _WIDE_BOMS:
        if head.startswith(bom):
            raise _not_utf8(0, 1, f": the file starts with a {name} byte-order mark")
    if head.startswith(_MAGIC):
        raise UnreadableFile(f"the file {BINARY}")
    nul = head.find(b"\x00")
    if nul < 0:
        return
    # UTF-16 without a BOM: ASCII text leaves a NUL in every other byte.
    even, odd = head[0::2].count(0), head[1::2].count(0)
    if max(even, odd) >= len(head) // 4 and min(even, odd) <= max(even, odd) // 10:
        line = head[:nul].count(b"\n") + 1
        raise _not_utf8(nul, line, ": the file looks like UTF-16")
    raise UnreadableFile(f"the file {BINARY}")


class Utf8Source(io.RawIOBase):
    """Raw byte stream over `path` that only hands out bytes proven to be UTF-8 (BOM removed)."""

    def __init__(self, path: Path, offset: int = 0, line: int = 1) -> None:
        """Read from byte `offset`, which is on line `line`: a row's first byte (see offsets)."""
        super().__init__()
        self._file = path.open("rb")
        self._decoder = codecs.getincrementaldecoder("utf-8")("strict")
        self._offset = offset  # file offset of the next byte to validate
        self._newlines = line - 1  # newlines before the next byte to validate
        if offset:
            # Mid-file: the head was checked when the whole file was profiled, and the BOM
            # (if any) is behind us.
            self._file.seek(offset)
            self._pending = b""
            return
        head = self._file.read(HEAD)
        try:
            check_head(head)
        except UnreadableFile:
            self._file.close()
            raise
        if head.startswith(codecs.BOM_UTF8):
            head = head[len(codecs.BOM_UTF8) :]
            self._offset = len(codecs.BOM_UTF8)
        self._pending = head

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        want = len(buffer)
        data = self._pending or self._file.read(want)
        data, self._pending = data[:want], data[want:]
        self._validate(data)
        buffer[: len(data)] = data
        return len(data)

    def _validate(self, data: bytes) -> None:
        carried = len(self._decoder.getstate()[0])  # a split character from the last chunk
        try:
            self._decoder.decode(data, final=not data)
        except UnicodeDecodeError as exc:
            offset = self._offset - carried + exc.start
            line = self._newlines + data[: max(exc.start - carried, 0)].count(b"\n") + 1
            bad = exc.object[exc.start]
            raise _not_utf8(offset, line, f" (0x{bad:02X})") from None
        nul = data.find(b"\x00")
        if nul >= 0:  # past the head: still binary, and csv would choke on it
            line = self._newlines + data[:nul].count(b"\n") + 1
            raise UnreadableFile(f"byte {self._offset + nul:,} (line {line}) is a NUL: {BINARY}")
        self._offset += len(data)
        self._newlines += data.count(b"\n")

    def close(self) -> None:
        if not self.closed:
            self._file.close()
        super().close()


def text_start(path: Path) -> int:
    """The file offset of the first byte readers hand out: past the UTF-8 BOM, if any."""
    with path.open("rb") as file:
        return len(codecs.BOM_UTF8) if file.read(3) == codecs.BOM_UTF8 else 0


def open_bytes(path: Path, offset: int = 0, line: int = 1) -> io.BufferedReader:
    return io.BufferedReader(Utf8Source(path, offset, line), CHUNK)


def open_text(path: Path, offset: int = 0, line: int = 1) -> TextIO:
    # newline="": line endings reach the csv module untranslated, as it requires.
    return io.TextIOWrapper(open_bytes(path, offset, line), encoding="utf-8", newline="")


class TextLines:
    """Physical lines of `text` (endings kept), numbered from `first_line`; a line too long to
    hold is refused, not read whole.

    `end` is the file offset just past the last line handed out, for `text` opened at byte
    `start` by open_text (the lines are exactly the file's bytes decoded: nothing translated).
    """

    def __init__(
        self,
        text: TextIO,
        start: int,
        first_line: int = 1,
        longest: int = Limits.max_line_bytes,
    ) -> None:
        self._text = text
        self._longest = longest
        self._first_line = first_line
        self.end = start

    def __iter__(self) -> Iterator[str]:
        number = self._first_line - 1
        # Counted in characters (at most 4 bytes each): the check needs no encoding.
        longest = self._longest
        while line := self._text.readline(longest + 1):
            number += 1
            if len(line) > longest:
                raise exceeded(f"line {number}", "the line is too long", "max_line_bytes", longest)
            # isascii() is O(1) on str: only lines with non-ASCII text are encoded to count bytes.
            self.end += len(line) if line.isascii() else len(line.encode())
            yield line
