"""Files saved in a legacy 8-bit encoding (Windows-1252, Latin-1: what spreadsheet tools on
Windows write as "CSV") become UTF-8 on ingest, so every reader after this stays UTF-8 only.

Nothing is guessed blindly. A file that is valid UTF-8 is left alone. Otherwise
charset-normalizer looks at a bounded sample around the first byte that is not UTF-8; its
answer is used only when it has one (its own mess-ratio threshold), and only if the whole file
then decodes with it strictly. The file is converted in chunks: memory stays bounded whatever
its size. Anything else is refused (code 02) with a message that says what to do.
"""

import codecs
import hashlib
from pathlib import Path

from charset_normalizer import from_bytes

from services.datasets.blobstore import BlobStore
from services.datasets.formats.encoding import check_head
from services.datasets.formats.errors import UnreadableFile
from services.datasets.formats.limits import CHUNK, HEAD
from services.datasets.upload import StoredUpload

SAMPLE = 512 * 1024  # bytes the detector reads: enough text to judge, small enough to hold
# What spreadsheets and older tools on Windows save as CSV: the Windows code pages and their
# ISO cousins. Other guesses (Mac and DOS code pages, for instance) are refused as unsure.
_ACCEPTED = {"cp1252", "cp1250", "cp1251", "cp1257", "latin_1", "iso8859_15", "iso8859_2"}
# Matches whose mess ratio (percent) is this close to the cleanest count as equally clean;
# among those the most coherent wins, and Windows-1252, by far the most common, gets a bonus:
# on short Western text cp1250/cp1257 read "crème" as cleanly but wrongly ("crčme").
_CLEAN_WINDOW = 10.0
_CP1252_BONUS = 5.0
CANNOT_TELL = (
    "the file is not UTF-8 and its encoding cannot be told with confidence; "
    "save it as UTF-8 (in a spreadsheet: CSV UTF-8) and upload it again"
)


def ensure_utf8(stored: StoredUpload, store: BlobStore) -> tuple[StoredUpload, str | None]:
    """The upload as UTF-8 and the encoding it was converted from (None: it was UTF-8).
    A converted upload replaces the original, whose temp file is removed."""
    bad = first_non_utf8(stored.writer.path)
    if bad is None:
        return stored, None
    encoding = detect(stored.writer.path, bad)
    converted = to_utf8(stored, store, encoding)
    stored.writer.abort()
    return converted, encoding


def first_non_utf8(path: Path) -> int | None:
    """The offset of the first byte that is not UTF-8, or None when the whole file is."""
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    offset = 0
    with path.open("rb") as file:
        while True:
            data = file.read(CHUNK)
            carried = len(decoder.getstate()[0])
            try:
                decoder.decode(data, final=not data)
            except UnicodeDecodeError as exc:
                return offset - carried + exc.start
            if not data:
                return None
            offset += len(data)


def detect(path: Path, bad_offset: int) -> str:
    """The encoding of a non-UTF-8 file, or UnreadableFile when it cannot be told."""
    with path.open("rb") as file:
        check_head(file.read(HEAD))  # UTF-16/32 and binary files keep their clearer refusal
        file.seek(max(0, bad_offset - SAMPLE // 2))
        sample = file.read(SAMPLE)
    matches = list(from_bytes(sample))
    if not matches:
        raise UnreadableFile(CANNOT_TELL)
    cleanest = min(m.percent_chaos for m in matches)
    clean = [
        m
        for m in matches
        if m.encoding in _ACCEPTED and m.percent_chaos <= cleanest + _CLEAN_WINDOW
    ]
    if not clean:
        raise UnreadableFile(CANNOT_TELL)
    best = max(
        clean, key=lambda m: m.percent_coherence + (_CP1252_BONUS if m.encoding == "cp1252" else 0)
    )
    return str(best.encoding)


def to_utf8(stored: StoredUpload, store: BlobStore, encoding: str) -> StoredUpload:
    """A UTF-8 copy of the upload read as `encoding`; refused if any byte does not decode.
    Its size and hash are the copy's: what is stored and downloaded."""
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    writer = store.writer()
    digest, size = hashlib.sha256(), 0
    try:
        with stored.writer.path.open("rb") as file:
            while True:
                data = file.read(CHUNK)
                text = decoder.decode(data, final=not data).encode("utf-8")
                digest.update(text)
                size += len(text)
                writer.write(text)
                if not data:
                    break
        writer.flush()
    except UnicodeDecodeError:
        writer.abort()
        raise UnreadableFile(CANNOT_TELL) from None
    except BaseException:
        writer.abort()
        raise
    return StoredUpload(writer, size, digest.hexdigest(), stored.gzipped)
