"""Uploads in Windows-1252 / Latin-1 become UTF-8; what cannot be told with confidence is
refused with code 02 (services/datasets/transcode.py)."""

import os

import pytest

from services.datasets.blobstore import LocalBlobStore
from services.datasets.formats import UnreadableFile
from services.datasets.transcode import SAMPLE, ensure_utf8, first_non_utf8
from services.datasets.upload import StoredUpload

WINDOWS_CSV = (
    "text,label\n"
    "\u201cLovely\u201d fabric \u2013 caf\xe9 cr\xe8me colour, 50 \u20ac,positive\n"
    "Na\xefve design, d\xe9j\xe0 vu; returned it,negative\n"
)


def stored(store: LocalBlobStore, data: bytes) -> StoredUpload:
    writer = store.writer()
    writer.write(data)
    writer.flush()
    return StoredUpload(writer, len(data), "", gzipped=False)


@pytest.fixture
def store(tmp_path):
    return LocalBlobStore(tmp_path / "blobs")


@pytest.mark.parametrize(
    ("text", "encoding"),
    [
        (WINDOWS_CSV, "cp1252"),
        ("text\ncaf\xe9 cr\xe8me\n", "latin-1"),
        (
            "text\n\u041e\u0447\u0435\u043d\u044c \u0445\u043e\u0440\u043e\u0448\u0435\u0435 "
            "\u043f\u043b\u0430\u0442\u044c\u0435\n\u041f\u043b\u043e\u0445\u043e\u0435 "
            "\u043a\u0430\u0447\u0435\u0441\u0442\u0432\u043e\n",
            "cp1251",
        ),
    ],
    ids=["windows-1252", "latin-1", "windows-1251"],
)
def test_legacy_encodings_become_the_same_text_in_utf8(store, text, encoding):
    upload = stored(store, text.encode(encoding))
    converted, source = ensure_utf8(upload, store)
    assert source is not None and converted is not upload
    assert converted.writer.path.read_text(encoding="utf-8") == text
    assert converted.size_bytes == len(text.encode())
    assert not upload.writer.path.exists()  # the original temp file is gone


def test_utf8_is_left_alone(store):
    upload = stored(store, "text\ncaf\xe9 \u2013 ok\n".encode())
    assert ensure_utf8(upload, store) == (upload, None)


def test_the_first_bad_byte_is_found_past_a_long_utf8_start(store, tmp_path):
    path = tmp_path / "late.csv"
    path.write_bytes(("é" * SAMPLE).encode() + b"\ncaf\xe9\n")
    assert first_non_utf8(path) == 2 * SAMPLE + 4


def test_random_bytes_are_refused_as_unsure(store):
    upload = stored(store, b"text\n" + os.urandom(4096).replace(b"\x00", b"x"))
    with pytest.raises(UnreadableFile) as caught:
        ensure_utf8(upload, store)
    assert caught.value.code == "02"
    assert "cannot be told with confidence" in caught.value.message
