"""Reading, deleting and sharing datasets over REST, and the routes' OpenAPI. Gateway
in-process, real datasets and auth services over gRPC, real PostgreSQL and NATS, real files."""

import uuid
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest

from tests.support.accounts import MovableClock
from tests.support.gateway_accounts import Session
from tests.support.gateway_datasets import (
    DATASETS,
    REVIEW_ROWS,
    REVIEWS,
    download,
    listed_ids,
    stored_files,
    uploaded,
)
from tests.support.gateway_edge import BASE_URL, Edge
from tests.support.problems import assert_problem

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
