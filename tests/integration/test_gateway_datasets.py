"""The dataset REST routes end to end: gateway in-process, real datasets and auth services over
gRPC, real PostgreSQL and NATS, real files on disk."""

import gzip
import hashlib
import json
import tracemalloc
import uuid
from collections.abc import AsyncIterator, Iterable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from inferlane.common.grpc.server import GrpcProcess
from services.datasets.process import build as build_datasets
from services.datasets.settings import DatasetsSettings
from tests.integration.conftest import Starter, fast
from tests.integration.test_gateway_auth import (
    BASE_URL,
    Edge,
    Session,
    assert_problem,
    cookie_sign_in,
    gateway,
    gateway_settings,
    sign_up,
)
from tests.support.accounts import MovableClock
from tests.support.waiting import eventually

DATASETS = "/api/v1/datasets"
LIMIT = 1_000_000  # small limits in both gateway and service, so "too large" is cheap to send
DATASET_FIELDS = {
    "id",
    "name",
    "format",
    "size_bytes",
    "sha256",
    "rows",
    "columns",
    "text_column",
    "created_at",
    "source_encoding",
    "expires_at",
}
REVIEWS = (
    b"text,stars,verified,date\n"
    b'"Lovely fabric, runs small",4,true,2024-05-01\n'
    b'"Arrived torn.\nWould not buy again",1,false,2024-05-02\n'
    b"Fine,3,true,2024-05-03\n"
)
# Delimited files' cells come back as the strings they are (the columns carry the types).
REVIEW_ROWS = [
    {"text": "Lovely fabric, runs small", "stars": "4", "verified": "true", "date": "2024-05-01"},
    {
        "text": "Arrived torn.\nWould not buy again",
        "stars": "1",
        "verified": "false",
        "date": "2024-05-02",
    },
    {"text": "Fine", "stars": "3", "verified": "true", "date": "2024-05-03"},
]


# -- the stack -------------------------------------------------------------------------------


def datasets_settings(
    db: str, nats: str, auth_address: str, storage_dir: Path, max_upload_bytes: int = LIMIT
) -> DatasetsSettings:
    settings: DatasetsSettings = fast(
        DatasetsSettings,
        database_url=db,
        nats_url=nats,
        auth_addr=auth_address,
        storage_dir=storage_dir,
        max_upload_bytes=max_upload_bytes,
    )
    return settings


async def start_datasets(
    start_process: Starter,
    settings: DatasetsSettings,
    clock: MovableClock | None = None,
) -> GrpcProcess:
    """A real datasets service in-process on port 0 (with a movable clock, if given)."""
    if clock is None:
        return await start_process(build_datasets, settings)
    return await start_process(lambda s: build_datasets(s, clock=clock), settings)


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock()


@pytest.fixture
def upload_limit(request: pytest.FixtureRequest) -> int:
    """The size limit of gateway and service alike; tests may override it indirectly."""
    return int(getattr(request, "param", LIMIT))


@pytest.fixture
def storage_dir(tmp_path: Path) -> Path:
    return tmp_path / "blobs"


@pytest.fixture
async def datasets_server(
    migrated_db, nats_url, auth_server, start_process, storage_dir, clock, upload_limit
) -> GrpcProcess:
    settings = datasets_settings(
        migrated_db, nats_url, auth_server.address, storage_dir, upload_limit
    )
    return await start_datasets(start_process, settings, clock)


@pytest.fixture
async def edge(
    migrated_db, nats_url, auth_server, datasets_server, upload_limit
) -> AsyncIterator[Edge]:
    settings = gateway_settings(
        auth_server.address,
        migrated_db,
        nats_url,
        datasets_addr=datasets_server.address,
        max_upload_bytes=upload_limit,
        cookie_secure=False,  # so httpx's jar sends the session cookies over http://
    )
    async with gateway(settings) as e:
        yield e


@pytest.fixture
async def api(edge: Edge) -> httpx.AsyncClient:
    return edge.browser()


@pytest.fixture
async def alice(api: httpx.AsyncClient) -> Session:
    return await sign_up(api)


# -- helpers ---------------------------------------------------------------------------------


async def upload(
    api: httpx.AsyncClient,
    who: Session,
    filename: str,
    data: bytes,
    content_type: str = "application/octet-stream",
    **fields: str,
) -> httpx.Response:
    return await api.post(
        DATASETS,
        files={"file": (filename, data, content_type)},
        data=fields or None,
        headers=who.headers,
    )


async def uploaded(api: httpx.AsyncClient, who: Session, filename: str, data: bytes) -> dict:
    response = await upload(api, who, filename, data)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def download(api: httpx.AsyncClient, who: Session, dataset_id: str) -> httpx.Response:
    return await api.get(f"{DATASETS}/{dataset_id}/download", headers=who.headers)


async def listed_ids(api: httpx.AsyncClient, who: Session) -> set[str]:
    response = await api.get(f"{DATASETS}?limit=100", headers=who.headers)
    assert response.status_code == 200, response.text
    return {d["id"] for d in response.json()["items"]}


async def warm_up(api: httpx.AsyncClient, who: Session) -> None:
    """One call so the datasets service has fetched auth's keys before an upload is cancelled:
    a cancel that lands during its first key fetch leaves it without keys for 10 s (a bug of
    `JwksClient._refresh`, reported), and the next call would be a 401."""
    assert await listed_ids(api, who) == set()


def stored_files(storage_dir: Path) -> list[Path]:
    """Every file of the blob store, committed blobs and temp files of uploads alike."""
    return [p for p in storage_dir.rglob("*") if p.is_file()]


async def nothing_stored(storage_dir: Path) -> None:
    """A cancelled upload's temp file is removed by the service once the cancel reaches it."""

    async def empty() -> bool:
        return stored_files(storage_dir) == []

    await eventually(empty, timeout=10, what=f"no files under {storage_dir}")


def form_parts(
    boundary: str, filename: str, chunks: Iterable[bytes], counter: list[int]
) -> AsyncIterator[bytes]:
    """A multipart body sent in pieces with no Content-Length; counts the file bytes the
    gateway actually pulled."""

    async def body() -> AsyncIterator[bytes]:
        yield (
            f"--{boundary}\r\n"
            f'Content-Disposition: form-data; name="file"; filename="{filename}"\r\n'
            "Content-Type: text/csv\r\n\r\n"
        ).encode()
        for chunk in chunks:
            counter[0] += len(chunk)
            yield chunk
        yield f"\r\n--{boundary}--\r\n".encode()

    return body()


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


# -- reading ---------------------------------------------------------------------------------


async def test_list_is_paginated_newest_first(api: httpx.AsyncClient, alice: Session) -> None:
    ids = [(await uploaded(api, alice, f"r{i}.csv", REVIEWS))["id"] for i in range(3)]
    first = await api.get(f"{DATASETS}?limit=2", headers=alice.headers)
    assert first.status_code == 200
    page = first.json()
    assert page.keys() == {"items", "next_cursor"} and len(page["items"]) == 2
    assert [d["id"] for d in page["items"]] == ids[::-1][:2]
    second = await api.get(
        f"{DATASETS}?limit=2&cursor={page['next_cursor']}", headers=alice.headers
    )
    assert [d["id"] for d in second.json()["items"]] == ids[:1]
    assert second.json()["next_cursor"] is None
    capped = await api.get(f"{DATASETS}?limit=1000", headers=alice.headers)
    assert capped.status_code == 200 and len(capped.json()["items"]) == 3
    assert_problem(await api.get(f"{DATASETS}?limit=0", headers=alice.headers), 422, "01")
    garbage = await api.get(f"{DATASETS}?cursor=not-a-cursor", headers=alice.headers)
    assert_problem(garbage, 422, "01")


async def test_rows_are_a_capped_window_from_an_offset(
    api: httpx.AsyncClient, alice: Session
) -> None:
    data = ("n,text\n" + "".join(f"{i},row {i}\n" for i in range(250))).encode()
    dataset = await uploaded(api, alice, "many.csv", data)
    rows = f"{DATASETS}/{dataset['id']}/rows"
    window = (await api.get(f"{rows}?offset=120&limit=3", headers=alice.headers)).json()
    assert window == {
        "items": [{"n": str(i), "text": f"row {i}"} for i in (120, 121, 122)],
        "offset": 120,
    }
    capped = (await api.get(f"{rows}?offset=5&limit=1000", headers=alice.headers)).json()
    assert [int(r["n"]) for r in capped["items"]] == list(range(5, 105))
    past = (await api.get(f"{rows}?offset=1000", headers=alice.headers)).json()
    assert past == {"items": [], "offset": 1000}
    assert_problem(await api.get(f"{rows}?offset=-1", headers=alice.headers), 422, "01")
    for query in (f"offset={2**63}", f"limit={2**63}", f"offset={10**30}"):
        assert_problem(await api.get(f"{rows}?{query}", headers=alice.headers), 422, "01")


async def test_unknown_dataset_is_a_404_problem_on_every_route(
    api: httpx.AsyncClient, alice: Session
) -> None:
    nowhere = f"{DATASETS}/{uuid.uuid4()}"
    for method, path in [
        ("GET", nowhere),
        ("GET", f"{nowhere}/rows"),
        ("GET", f"{nowhere}/download"),  # a problem document, not a broken stream
        ("DELETE", nowhere),
        ("POST", f"{nowhere}/shares"),
    ]:
        assert_problem(await api.request(method, path, headers=alice.headers), 404, "not_found")
    assert_problem(
        await api.get(f"{DATASETS}/not-a-uuid", headers=alice.headers), 404, "not_found"
    )  # only a UUID names one


async def test_delete_removes_the_dataset_and_its_bytes(
    api: httpx.AsyncClient, alice: Session, storage_dir: Path
) -> None:
    dataset = await uploaded(api, alice, "reviews.csv", REVIEWS)
    assert len(stored_files(storage_dir)) == 1
    response = await api.delete(f"{DATASETS}/{dataset['id']}", headers=alice.headers)
    assert response.status_code == 204 and response.content == b""
    assert stored_files(storage_dir) == []
    assert_problem(await download(api, alice, dataset["id"]), 404, "not_found")
    assert await listed_ids(api, alice) == set()


# -- share links -----------------------------------------------------------------------------


async def test_share_link_lifecycle(
    api: httpx.AsyncClient, edge: Edge, alice: Session, clock: MovableClock
) -> None:
    dataset = await uploaded(api, alice, "reviews.csv", REVIEWS)
    shares = f"{DATASETS}/{dataset['id']}/shares"
    created = await api.post(shares, json={"expires_in": 3600}, headers=alice.headers)
    assert created.status_code == 201, created.text
    share = created.json()
    assert share.keys() == {"id", "token", "url", "expires_at"}
    assert share["url"] == f"{BASE_URL}/api/v1/shared/{share['token']}"
    assert created.headers["cache-control"] == "no-store"
    expires_at = datetime.fromisoformat(share["expires_at"])
    assert abs(expires_at - (clock.now + timedelta(hours=1))) < timedelta(seconds=1)

    stranger = edge.browser()  # no credentials at all
    opened = await stranger.get(share["url"])
    assert opened.status_code == 200, opened.text
    body = opened.json()
    assert body.keys() == {"dataset", "preview", "expires_at"}
    assert body["dataset"] == dataset and body["preview"] == REVIEW_ROWS

    clock.advance(hours=2)
    assert_problem(await stranger.get(share["url"]), 410, "gone")

    default = (await api.post(shares, headers=alice.headers)).json()  # no body: 7 days
    assert datetime.fromisoformat(default["expires_at"]) - clock.now == timedelta(days=7)
    assert (await stranger.get(default["url"])).status_code == 200
    revoked = await api.delete(f"{shares}/{default['id']}", headers=alice.headers)
    assert revoked.status_code == 204
    assert_problem(await stranger.get(default["url"]), 410, "gone")
    again = await api.delete(f"{shares}/{default['id']}", headers=alice.headers)
    assert_problem(again, 404, "not_found")
    assert_problem(await stranger.get("/api/v1/shared/no-such-token"), 404, "not_found")


@pytest.mark.parametrize("seconds", [0, -5, 7 * 24 * 3600 + 1, "soon"])
async def test_share_expiry_must_be_within_seven_days(
    api: httpx.AsyncClient, alice: Session, seconds: object
) -> None:
    dataset = await uploaded(api, alice, "reviews.csv", REVIEWS)
    response = await api.post(
        f"{DATASETS}/{dataset['id']}/shares", json={"expires_in": seconds}, headers=alice.headers
    )
    assert_problem(response, 422, "01")


async def test_deleting_a_dataset_ends_its_share_links(
    api: httpx.AsyncClient, edge: Edge, alice: Session
) -> None:
    dataset = await uploaded(api, alice, "reviews.csv", REVIEWS)
    share = (await api.post(f"{DATASETS}/{dataset['id']}/shares", headers=alice.headers)).json()
    await api.delete(f"{DATASETS}/{dataset['id']}", headers=alice.headers)
    response = await edge.browser().get(share["url"])
    assert response.status_code in (404, 410)


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


async def test_openapi_documents_the_dataset_routes(api: httpx.AsyncClient) -> None:
    schema = (await api.get("/openapi.json")).json()
    paths = schema["paths"]
    expected = {
        DATASETS: {"get", "post"},
        f"{DATASETS}/{{dataset_id}}": {"get", "delete"},
        f"{DATASETS}/{{dataset_id}}/rows": {"get"},
        f"{DATASETS}/{{dataset_id}}/download": {"get"},
        f"{DATASETS}/{{dataset_id}}/shares": {"post"},
        f"{DATASETS}/{{dataset_id}}/shares/{{share_id}}": {"delete"},
        "/api/v1/shared/{token}": {"get"},
    }
    for path, methods in expected.items():
        assert methods <= paths[path].keys(), path
        for method in methods:
            operation = paths[path][method]
            assert operation["summary"] and operation["description"]
            assert "422" in operation["responses"]
    post = paths[DATASETS]["post"]
    assert {"201", "401", "413", "415", "422"} <= post["responses"].keys()
    assert post["requestBody"]["content"]["multipart/form-data"]["schema"]["required"] == ["file"]
    assert "410" in paths["/api/v1/shared/{token}"]["get"]["responses"]
    assert "security" not in paths["/api/v1/shared/{token}"]["get"]
    download = paths[f"{DATASETS}/{{dataset_id}}/download"]["get"]["responses"]["200"]
    assert "text/csv" in download["content"]
    problem = post["responses"]["413"]["content"]["application/problem+json"]["schema"]
    assert problem == {"$ref": "#/components/schemas/Problem"}
