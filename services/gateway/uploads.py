"""Streaming multipart/form-data: the file part's bytes are handed on as they arrive.

Starlette's ``request.form()`` spools every file to a temporary file before the route runs;
upload routes instead read ``request.stream()`` through python-multipart's push parser, so
the gateway holds at most one body read and one chunk of the file, whatever its size.

The form has a ``file`` part and, optionally before it, a ``name`` field (the dataset's name
instead of the file name); other small text fields (e.g. a batch task's ``model``) are kept
in `fields`, before or after the file. The file's chunks are yielded while
the body arrives, and the form is only complete once its closing boundary has been read: a
body cut short raises, so it can never pass for a shorter file.
"""

from collections import deque
from collections.abc import AsyncGenerator, AsyncIterator
from dataclasses import dataclass

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import ClientDisconnect, Request

from inferlane.common.errors import INVALID_INPUT

from .errors import ProblemException

FILE_FIELD = "file"
NAME_FIELD = "name"
CHUNK_BYTES = 64 * 1024
# Boundaries, part headers and small fields around the file may add this much to the body.
FORM_OVERHEAD_BYTES = 64 * 1024
MAX_NAME_BYTES = 1024
MAX_FIELDS = 16  # other text fields, each at most MAX_NAME_BYTES
FORM_MEDIA_TYPE = b"multipart/form-data"
_OTHER = "other"  # a text field other than file and name


@dataclass(frozen=True)
class FileStart:
    """The file part's headers: what to call the upload, and its announced content type."""

    filename: str
    content_type: str | None


def too_large(limit: int) -> ProblemException:
    return ProblemException(
        413, f"The file is larger than the {limit:,}-byte limit.", code="payload_too_large"
    )


def invalid(detail: str) -> ProblemException:
    return ProblemException(422, detail, code=INVALID_INPUT)


class StreamingForm:
    """One multipart body, parsed as it is read: `file()` first, then `chunks()`."""

    def __init__(self, boundary: bytes, body: AsyncIterator[bytes], max_file_bytes: int) -> None:
        self._body = body
        self._max_file = max_file_bytes
        self._max_body = max_file_bytes + FORM_OVERHEAD_BYTES
        self._received = 0
        self._parser = MultipartParser(
            boundary,
            {
                "on_part_begin": self._on_part_begin,
                "on_header_field": self._on_header_field,
                "on_header_value": self._on_header_value,
                "on_header_end": self._on_header_end,
                "on_headers_finished": self._on_headers_finished,
                "on_part_data": self._on_part_data,
                "on_part_end": self._on_part_end,
                "on_end": self._on_end,
            },
        )
        # State of the part being parsed.
        self._header_name = bytearray()
        self._header_value = bytearray()
        self._headers: dict[bytes, bytes] = {}
        self._kind: str | None = None  # FILE_FIELD, NAME_FIELD, _OTHER, or None: skipped
        # What the form has produced so far.
        self._name: bytearray | None = None
        self._fields: dict[str, bytearray] = {}
        self._field: bytearray | None = None
        self._start: FileStart | None = None
        self._file_bytes = 0
        self._buffer = bytearray()
        self._chunks: deque[bytes] = deque()
        self._ended = False

    @classmethod
    def from_request(cls, request: Request, max_file_bytes: int) -> "StreamingForm":
        """Checks what the headers alone can tell: the media type, boundary and length."""
        media_type, options = parse_options_header(request.headers.get("content-type"))
        if media_type != FORM_MEDIA_TYPE:
            raise ProblemException(
                415, f"Send the file as multipart/form-data, in a field named {FILE_FIELD!r}."
            )
        boundary = options.get(b"boundary")
        if not boundary:
            raise invalid("The multipart/form-data Content-Type has no boundary.")
        form = cls(boundary, request.stream(), max_file_bytes)
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > form._max_body:
            raise too_large(max_file_bytes)  # no need to read what is announced too big
        return form

    async def file(self) -> FileStart | None:
        """Reads up to the end of the file part's headers; None if the form has no file."""
        while self._start is None:
            if not await self._pump():
                self._check_complete()
                return None
        return self._start

    async def chunks(self) -> AsyncGenerator[bytes, None]:
        """The file's bytes, at most CHUNK_BYTES at a time, as they arrive; then the rest of
        the form is read and checked."""
        while True:
            while self._chunks:
                yield self._chunks.popleft()
            if not await self._pump():
                break
        self._check_complete()

    @property
    def fields(self) -> dict[str, str]:
        """The text fields other than ``file`` and ``name`` read so far (all of them once
        `chunks()` is exhausted); a repeated field keeps its last value."""
        return {key: _text(bytes(value)) for key, value in self._fields.items()}

    async def _pump(self) -> bool:
        """Feeds one read of the body to the parser; False once the body has ended."""
        try:
            data = await anext(self._body)
        except StopAsyncIteration:
            return False
        except ClientDisconnect:
            # Nobody will read the answer; this only keeps a hang-up out of the error log.
            raise ProblemException(400, "The client closed the connection mid-upload.") from None
        self._received += len(data)
        if self._received > self._max_body:
            raise too_large(self._max_file)
        try:
            self._parser.write(data)
        except MultipartParseError as exc:
            raise invalid("The multipart/form-data body is malformed.") from exc
        return True

    def _check_complete(self) -> None:
        if not self._ended:
            raise invalid("The multipart/form-data body ends before its closing boundary.")

    # -- parser callbacks (synchronous; they only record what they see) --------------------

    def _on_part_begin(self) -> None:
        self._headers = {}
        self._kind = None

    def _on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]

    def _on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def _on_header_end(self) -> None:
        self._headers[bytes(self._header_name).lower()] = bytes(self._header_value)
        self._header_name.clear()
        self._header_value.clear()

    def _on_headers_finished(self) -> None:
        _, options = parse_options_header(self._headers.get(b"content-disposition"))
        field = _text(options.get(b"name", b""))
        if field == FILE_FIELD:
            if self._start is not None:
                raise invalid(f"Send one file per upload (one {FILE_FIELD!r} field).")
            filename = _text(options.get(b"filename", b""))
            if self._name is not None:
                filename = _text(bytes(self._name))
            content_type = self._headers.get(b"content-type")
            self._start = FileStart(filename, _text(content_type) if content_type else None)
        elif field == NAME_FIELD:
            if self._start is not None:
                raise invalid(f"Send the {NAME_FIELD!r} field before the {FILE_FIELD!r} field.")
            self._name = bytearray()
        elif field and b"filename" not in options:
            if field not in self._fields and len(self._fields) >= MAX_FIELDS:
                raise invalid(f"The form has more than {MAX_FIELDS} fields.")
            self._field = self._fields[field] = bytearray()
            self._kind = _OTHER
            return
        self._kind = field if field in (FILE_FIELD, NAME_FIELD) else None

    def _on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self._kind == FILE_FIELD:
            self._file_bytes += end - start
            if self._file_bytes > self._max_file:
                raise too_large(self._max_file)
            self._buffer += data[start:end]
            while len(self._buffer) >= CHUNK_BYTES:
                self._chunks.append(bytes(self._buffer[:CHUNK_BYTES]))
                del self._buffer[:CHUNK_BYTES]
        elif self._kind == NAME_FIELD and self._name is not None:
            self._name += data[start:end]
            if len(self._name) > MAX_NAME_BYTES:
                raise invalid(f"The {NAME_FIELD!r} field is longer than {MAX_NAME_BYTES} bytes.")
        elif self._kind == _OTHER and self._field is not None:
            self._field += data[start:end]
            if len(self._field) > MAX_NAME_BYTES:
                raise invalid(f"A form field is longer than {MAX_NAME_BYTES} bytes.")

    def _on_part_end(self) -> None:
        if self._kind == FILE_FIELD and self._buffer:
            self._chunks.append(bytes(self._buffer))
            self._buffer.clear()
        self._kind = None

    def _on_end(self) -> None:
        self._ended = True


def _text(value: bytes) -> str:
    """Header parameters arrive as raw bytes; browsers send UTF-8."""
    return value.decode("utf-8", errors="replace")
