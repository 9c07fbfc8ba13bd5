"""What the dataset REST routes refuse, and how. Gateway in-process, real datasets and auth
services over gRPC, real PostgreSQL and NATS, real files on disk."""

import gzip
import json
import uuid
from pathlib import Path

import httpx
import pytest

from tests.support.gateway_accounts import Session, cookie_sign_in
from tests.support.gateway_datasets import (
    DATASETS,
    LIMIT,
    REVIEWS,
    form_parts,
    listed_ids,
    nothing_stored,
    stored_files,
    upload,
    warm_up,
)
from tests.support.gateway_edge import Edge
from tests.support.problems import assert_problem

# -- rejections ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("filename", "data", "words"),
    [
        ("empty.csv", b"", ["empty"]),
        ("noise.csv", b"text\n" + bytes(range(0x80, 0x100)) * 20, ["utf-8", "confidence"]),
        ("image.csv", b"\x89PNG\r\n\x1a\n" + bytes(200), ["binary"]),
        ("header.csv", b"text,stars\n", ["no rows"]),
        ("ragged.csv", b"a,b\n1,2\n3,4,5\n", ["line 3"]),
        ("dupes.csv", b"text,text\n1,2\n", ["duplicate"]),
        ("bad.jsonl", b'{"a": 1}\n{"a": \n', ["line 2"]),
        ("deep.json", b"[" * 100_000 + b"]" * 100_000, ["datasets_max_nesting_depth"]),
        ("deep.jsonl", b'{"a": ' + b"[" * 10_000 + b"]" * 10_000 + b"}\n", ["line 1", "deep"]),
    ],
    ids=[
        "empty",
        "undecidable-encoding",
        "binary",
        "header-only",
        "ragged",
        "duplicate-columns",
        "bad-jsonl",
        "too-deep-json",
        "too-deep-jsonl",
    ],
)
async def test_unreadable_files_are_422_code_02_saying_what_and_where(
    api: httpx.AsyncClient,
    alice: Session,
    storage_dir: Path,
    filename: str,
    data: bytes,
    words: list[str],
) -> None:
    response = await upload(api, alice, filename, data)
    body = assert_problem(response, 422, "02")
    for word in words:
        assert word in str(body["detail"]).lower()
    assert await listed_ids(api, alice) == set()
    await nothing_stored(storage_dir)


async def test_over_the_announced_limit_is_413_before_reading_the_body(
    api: httpx.AsyncClient, alice: Session, storage_dir: Path
) -> None:
    response = await upload(api, alice, "big.csv", b"text\n" + b"x" * (LIMIT + 100_000))
    assert_problem(response, 413, "payload_too_large")
    assert await listed_ids(api, alice) == set()
    assert stored_files(storage_dir) == []


async def test_over_the_limit_while_streaming_is_413_at_once_and_leaves_nothing(
    api: httpx.AsyncClient, alice: Session, storage_dir: Path
) -> None:
    """No Content-Length: the gateway counts while forwarding, stops reading once over the
    limit and cancels the RPC, so the service drops its temp file."""
    await warm_up(api, alice)
    pulled = [0]
    chunks = (b"text\n" + b"x" * 65_535 for _ in range(80))  # 5 MiB, 5x the limit
    response = await api.post(
        DATASETS,
        content=form_parts("b0undary", "big.csv", chunks, pulled),
        headers={**alice.headers, "Content-Type": "multipart/form-data; boundary=b0undary"},
    )
    assert_problem(response, 413, "payload_too_large")
    assert pulled[0] <= LIMIT + 2 * 65_536  # it stopped reading right after crossing the limit
    assert await listed_ids(api, alice) == set()
    await nothing_stored(storage_dir)


@pytest.mark.parametrize("upload_limit", [8 * LIMIT], indirect=True)
async def test_over_the_services_limit_after_inflation_is_413(
    api: httpx.AsyncClient, alice: Session, storage_dir: Path, upload_limit: int
) -> None:
    """A gzip bomb is small on the wire (the gateway lets it through) and too big inflated."""
    bomb = gzip.compress(b"text\n" + b"a" * (upload_limit + 1))
    assert len(bomb) < upload_limit
    response = await upload(api, alice, "bomb.csv.gz", bomb)
    body = assert_problem(response, 413, "payload_too_large")
    assert "limit" in str(body["detail"])
    assert await listed_ids(api, alice) == set()
    await nothing_stored(storage_dir)


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (json.dumps({"file": "text\nhi\n"}), "application/json"),
        ("text\nhi\n", "text/csv"),
        ("file=text", "application/x-www-form-urlencoded"),
        ("text\nhi\n", None),
    ],
    ids=["json", "csv", "urlencoded", "none"],
)
async def test_a_body_that_is_not_multipart_is_415(
    api: httpx.AsyncClient, alice: Session, content: str, content_type: str | None
) -> None:
    headers = dict(alice.headers)
    if content_type is not None:
        headers["Content-Type"] = content_type
    response = await api.post(DATASETS, content=content, headers=headers)
    assert_problem(response, 415, "unsupported_media_type")


async def test_a_form_without_a_file_field_is_422_code_01(
    api: httpx.AsyncClient, alice: Session
) -> None:
    response = await api.post(
        DATASETS,
        files={"upload": ("reviews.csv", REVIEWS, "text/csv")},
        data={"name": "x"},
        headers=alice.headers,
    )
    body = assert_problem(response, 422, "01")
    assert "'file'" in str(body["detail"])


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (
            b'--B\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n\r\n'
            b"text\nhi\n",
            "closing boundary",
        ),
        (
            b'--B\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n\r\n'
            b'text\nhi\n\r\n--B\r\nContent-Disposition: form-data; name="name"\r\n\r\n'
            b"late\r\n--B--\r\n",
            "before",
        ),
        (
            b'--B\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n\r\n'
            b'text\nhi\n\r\n--B\r\nContent-Disposition: form-data; name="file"; '
            b'filename="b.csv"\r\n\r\ntext\nho\n\r\n--B--\r\n',
            "one file",
        ),
        (b"--B\r\nContent-Disposition form-data\r\n\r\nx\r\n--B--\r\n", "malformed"),
    ],
    ids=["truncated", "name-after-file", "two-files", "malformed"],
)
async def test_bad_forms_are_422_code_01_and_store_nothing(
    api: httpx.AsyncClient, alice: Session, storage_dir: Path, body: bytes, words: str
) -> None:
    await warm_up(api, alice)
    response = await api.post(
        DATASETS,
        content=body,
        headers={**alice.headers, "Content-Type": "multipart/form-data; boundary=B"},
    )
    problem = assert_problem(response, 422, "01")
    assert words in str(problem["detail"])
    assert await listed_ids(api, alice) == set()
    await nothing_stored(storage_dir)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", DATASETS),
        ("GET", DATASETS),
        ("GET", f"{DATASETS}/{uuid.uuid4()}"),
        ("GET", f"{DATASETS}/{uuid.uuid4()}/rows"),
        ("GET", f"{DATASETS}/{uuid.uuid4()}/download"),
        ("DELETE", f"{DATASETS}/{uuid.uuid4()}"),
        ("POST", f"{DATASETS}/{uuid.uuid4()}/shares"),
        ("DELETE", f"{DATASETS}/{uuid.uuid4()}/shares/{uuid.uuid4()}"),
    ],
)
async def test_every_dataset_route_needs_sign_in(
    api: httpx.AsyncClient, method: str, path: str
) -> None:
    files = {"file": ("a.csv", REVIEWS, "text/csv")} if path == DATASETS else None
    response = await api.request(method, path, files=files)
    assert_problem(response, 401, "unauthenticated")
    assert response.headers["www-authenticate"] == "Bearer"


async def test_cookie_sessions_need_the_csrf_header_to_upload(edge: Edge) -> None:
    browser = edge.browser()
    session = await cookie_sign_in(browser)
    files = {"file": ("a.csv", REVIEWS, "text/csv")}
    refused = await browser.post(DATASETS, files=files)
    assert_problem(refused, 403, "csrf")
    accepted = await browser.post(
        DATASETS, files=files, headers={"X-CSRF-Token": str(session["csrf_token"])}
    )
    assert accepted.status_code == 201, accepted.text
