"""Dataset uploads through the REST routes: every format round-trips, large ones stream in
flat memory. Gateway in-process, real datasets and auth services, PostgreSQL, NATS, disk."""

import gzip
import hashlib
import json
import tracemalloc
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from tests.support.gateway_accounts import Session
from tests.support.gateway_datasets import (
    DATASET_FIELDS,
    DATASETS,
    REVIEW_ROWS,
    REVIEWS,
    download,
    upload,
    uploaded,
)
from tests.support.gateway_edge import BASE_URL

# -- formats round-trip ----------------------------------------------------------------------

JSON_DATA = json.dumps(
    [{"text": "good", "score": 1.5}, {"text": "bad", "score": -2.25}], ensure_ascii=False
).encode()
JSONL_DATA = b'{"text": "caf\xc3\xa9 cr\xc3\xa8me", "n": 1}\n{"text": "plain", "n": 2}\n'
TSV_DATA = b"text\tstars\nGreat, really\t5\nMeh\t2\n"


@pytest.mark.parametrize(
    ("filename", "sent", "stored", "fmt", "media_type", "rows"),
    [
        ("reviews.csv", REVIEWS, REVIEWS, "csv", "text/csv", REVIEW_ROWS),
        (
            "reviews.tsv",
            TSV_DATA,
            TSV_DATA,
            "tsv",
            "text/tab-separated-values",
            [{"text": "Great, really", "stars": "5"}, {"text": "Meh", "stars": "2"}],
        ),
        (
            "scores.json",
            JSON_DATA,
            JSON_DATA,
            "json",
            "application/json",
            [{"text": "good", "score": 1.5}, {"text": "bad", "score": -2.25}],
        ),
        (
            "notes.jsonl",
            JSONL_DATA,
            JSONL_DATA,
            "jsonl",
            "application/x-ndjson",
            [{"text": "café crème", "n": 1}, {"text": "plain", "n": 2}],
        ),
        ("reviews.csv.gz", gzip.compress(REVIEWS), REVIEWS, "csv", "text/csv", REVIEW_ROWS),
    ],
    ids=["csv", "tsv", "json", "jsonl", "gzip"],
)
async def test_upload_reads_back_metadata_rows_and_the_same_bytes(
    api: httpx.AsyncClient,
    alice: Session,
    filename: str,
    sent: bytes,
    stored: bytes,
    fmt: str,
    media_type: str,
    rows: list[dict[str, Any]],
) -> None:
    response = await upload(api, alice, filename, sent, content_type="text/plain")
    assert response.status_code == 201, response.text
    dataset = response.json()
    assert dataset.keys() == DATASET_FIELDS
    assert response.headers["location"] == f"{BASE_URL}{DATASETS}/{dataset['id']}"
    assert dataset["name"] == filename and dataset["format"] == fmt
    assert dataset["rows"] == len(rows) and dataset["size_bytes"] == len(stored)
    assert dataset["sha256"] == hashlib.sha256(stored).hexdigest()
    assert [c["name"] for c in dataset["columns"]] == list(rows[0])
    assert dataset["text_column"] == "text"
    assert dataset["created_at"].endswith("Z")

    detail = await api.get(response.headers["location"], headers=alice.headers)
    assert detail.status_code == 200
    assert detail.json() == {**dataset, "preview": rows}
    assert [list(r) for r in detail.json()["preview"]] == [list(rows[0])] * len(rows)  # in order

    window = await api.get(f"{DATASETS}/{dataset['id']}/rows", headers=alice.headers)
    assert window.json() == {"items": rows, "offset": 0}

    got = await download(api, alice, dataset["id"])
    assert got.status_code == 200 and got.content == stored
    assert got.headers["content-type"].split(";")[0] == media_type
    plain_name = filename.removesuffix(".gz")
    assert got.headers["content-disposition"] == (
        f"attachment; filename=\"{plain_name}\"; filename*=UTF-8''{plain_name}"
    )


async def test_a_windows_1252_csv_is_converted_to_utf8_and_says_so(
    api: httpx.AsyncClient, alice: Session
) -> None:
    text = "text,label\n\u201cLovely\u201d caf\xe9 cr\xe8me dress \u2013 50 \u20ac,positive\n"
    response = await upload(api, alice, "windows.csv", text.encode("cp1252"))
    assert response.status_code == 201, response.text
    dataset = response.json()
    assert dataset["source_encoding"] == "cp1252"
    assert dataset["sha256"] == hashlib.sha256(text.encode()).hexdigest()
    rows = await api.get(f"{DATASETS}/{dataset['id']}/rows", headers=alice.headers)
    assert (
        rows.json()["items"][0]["text"]
        == "\u201cLovely\u201d caf\xe9 cr\xe8me dress \u2013 50 \u20ac"
    )
    assert (await download(api, alice, dataset["id"])).content == text.encode()  # UTF-8 now


async def test_inferred_column_types_come_through(api: httpx.AsyncClient, alice: Session) -> None:
    dataset = await uploaded(api, alice, "reviews.csv", REVIEWS)
    assert dataset["columns"] == [
        {"name": "text", "type": "string"},
        {"name": "stars", "type": "integer"},
        {"name": "verified", "type": "boolean"},
        {"name": "date", "type": "datetime"},
    ]


async def test_nasty_csv_round_trips(api: httpx.AsyncClient, alice: Session) -> None:
    """A BOM, semicolons as delimiter, quotes inside quotes, newlines inside fields."""
    nasty = (
        "\ufefftext;note;stars\r\n"
        '"He said ""hello""; then left";"first line\nsecond line";5\r\n'
        '"Semi;colons;everywhere";"";1\r\n'
        "Ünïcödé 🎉;plain;3\r\n"
    ).encode()
    dataset = await uploaded(api, alice, "nasty.csv", nasty)
    assert dataset["format"] == "csv" and dataset["rows"] == 3
    assert [c["name"] for c in dataset["columns"]] == ["text", "note", "stars"]  # no BOM in it
    rows = (await api.get(f"{DATASETS}/{dataset['id']}/rows", headers=alice.headers)).json()
    assert rows["items"] == [
        {"text": 'He said "hello"; then left', "note": "first line\nsecond line", "stars": "5"},
        {"text": "Semi;colons;everywhere", "note": "", "stars": "1"},
        {"text": "Ünïcödé 🎉", "note": "plain", "stars": "3"},
    ]
    assert (await download(api, alice, dataset["id"])).content == nasty


async def test_unicode_file_name_is_kept_for_display_and_download(
    api: httpx.AsyncClient, alice: Session
) -> None:
    dataset = await uploaded(api, alice, "../../avis; clients é.csv", REVIEWS)
    assert dataset["name"] == "avis; clients é.csv"
    got = await download(api, alice, dataset["id"])
    assert got.headers["content-disposition"] == (
        "attachment; filename=\"avis; clients _.csv\"; filename*=UTF-8''"
        + quote("avis; clients é.csv", safe="")
    )


async def test_name_field_before_the_file_names_the_dataset(
    api: httpx.AsyncClient, alice: Session
) -> None:
    response = await upload(api, alice, "export-2024.csv", REVIEWS, name="Spring reviews")
    assert response.status_code == 201, response.text
    assert response.json()["name"] == "Spring reviews"


# -- streaming and documentation -------------------------------------------------------------


@pytest.mark.parametrize("upload_limit", [64 * 1024 * 1024], indirect=True)
async def test_a_large_upload_streams_through_in_flat_memory(
    api: httpx.AsyncClient, alice: Session, tmp_path: Path
) -> None:
    """40 MB through gateway and service (both in this process) with Python's allocations
    traced: the peak stays a small fraction of the file, so nothing holds it whole."""
    # Long rows keep the service's per-cell profiling cheap; the bytes are what matter here.
    line = b"a review that goes on and on " * 280 + b"\n"  # ~8 KB
    path = tmp_path / "big.csv"
    with path.open("wb") as out:
        out.write(b"text\n")
        for _ in range(40 * 1024 * 1024 // len(line)):
            out.write(line)
    size = path.stat().st_size
    tracemalloc.start()
    try:
        with path.open("rb") as file:
            response = await api.post(
                DATASETS, files={"file": ("big.csv", file, "text/csv")}, headers=alice.headers
            )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert response.status_code == 201, response.text
    assert response.json()["size_bytes"] == size
    print(f"traced peak {peak:,} bytes for a {size:,}-byte upload")
    assert peak < size // 5, f"peak {peak:,} bytes traced for a {size:,}-byte upload"
