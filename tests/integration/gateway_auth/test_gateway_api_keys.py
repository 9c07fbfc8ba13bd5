"""API keys through the auth REST routes, end to end: gateway in-process, real auth service,
real PostgreSQL."""

import json
import uuid

import httpx
import pytest

from tests.support.gateway_accounts import sign_up
from tests.support.problems import assert_problem

# -- API keys -------------------------------------------------------------------------------


async def test_api_key_lifecycle(api: httpx.AsyncClient) -> None:
    session = await sign_up(api)
    created = await api.post(
        "/api/v1/auth/api-keys", json={"name": "nightly batch"}, headers=session.headers
    )
    assert created.status_code == 201, created.text
    key = created.json()
    assert key.keys() == {"id", "name", "prefix", "created_at", "last_used_at", "secret"}
    secret = key["secret"]
    assert secret.startswith("ilk_") and secret.startswith(key["prefix"])
    assert key["last_used_at"] is None and key["created_at"].endswith("Z")

    listed = (await api.get("/api/v1/auth/api-keys", headers=session.headers)).json()
    assert listed["next_cursor"] is None
    assert [k["id"] for k in listed["items"]] == [key["id"]]
    assert "secret" not in listed["items"][0] and secret not in json.dumps(listed)

    for headers in ({"Authorization": f"Bearer {secret}"}, {"X-API-Key": secret}):
        me = await api.get("/api/v1/auth/me", headers=headers)
        assert me.status_code == 200, me.text
        assert me.json()["id"] == session.user_id
    # An API key cannot manage keys (a leaked key minting keys would outlive its revocation).
    # The 403 is the rule's, not CSRF's: API-key requests need no CSRF token.
    for headers in ({"Authorization": f"Bearer {secret}"}, {"X-API-Key": secret}):
        for method, path, body in [
            ("POST", "/api/v1/auth/api-keys", {"name": "2"}),
            ("GET", "/api/v1/auth/api-keys", None),
            ("DELETE", f"/api/v1/auth/api-keys/{uuid.uuid4()}", None),  # itself it may
        ]:
            response = await api.request(method, path, json=body, headers=headers)
            problem = assert_problem(response, 403, "forbidden")
            assert "API key" in str(problem["detail"]), (method, path)
    used = (await api.get("/api/v1/auth/api-keys", headers=session.headers)).json()["items"]
    assert next(k for k in used if k["id"] == key["id"])["last_used_at"] is not None

    revoked = await api.delete(f"/api/v1/auth/api-keys/{key['id']}", headers=session.headers)
    assert revoked.status_code == 204
    for headers in ({"Authorization": f"Bearer {secret}"}, {"X-API-Key": secret}):
        response = await api.get("/api/v1/auth/me", headers=headers)
        assert_problem(response, 401, "unauthenticated")
    remaining = (await api.get("/api/v1/auth/api-keys", headers=session.headers)).json()
    assert key["id"] not in [k["id"] for k in remaining["items"]]
    again = await api.delete(f"/api/v1/auth/api-keys/{key['id']}", headers=session.headers)
    assert_problem(again, 404, "not_found")


async def test_api_key_list_pages_with_a_cursor_and_caps_the_limit(
    api: httpx.AsyncClient,
) -> None:
    session = await sign_up(api)
    for i in range(3):
        made = await api.post(
            "/api/v1/auth/api-keys", json={"name": f"k{i}"}, headers=session.headers
        )
        assert made.status_code == 201
    first = (await api.get("/api/v1/auth/api-keys?limit=2", headers=session.headers)).json()
    assert [k["name"] for k in first["items"]] == ["k2", "k1"]  # newest first
    assert first["next_cursor"]
    second = await api.get(
        "/api/v1/auth/api-keys",
        params={"limit": 2, "cursor": first["next_cursor"]},
        headers=session.headers,
    )
    assert [k["name"] for k in second.json()["items"]] == ["k0"]
    assert second.json()["next_cursor"] is None
    capped = await api.get("/api/v1/auth/api-keys?limit=100000000000", headers=session.headers)
    assert capped.status_code == 200 and len(capped.json()["items"]) == 3
    assert_problem(
        await api.get("/api/v1/auth/api-keys?limit=0", headers=session.headers), 422, "01"
    )
    assert_problem(
        await api.get("/api/v1/auth/api-keys?cursor=%%%", headers=session.headers), 422, "01"
    )


@pytest.mark.parametrize(
    "body",
    [{}, {"name": ""}, {"name": 5}, {"name": "x" * 101}],
    ids=["missing", "empty", "number", "long"],
)
async def test_invalid_api_key_names_are_422_code_01(
    api: httpx.AsyncClient, body: dict[str, object]
) -> None:
    session = await sign_up(api)
    response = await api.post("/api/v1/auth/api-keys", json=body, headers=session.headers)
    assert_problem(response, 422, "01")


async def test_malformed_api_key_id_is_422(api: httpx.AsyncClient) -> None:
    session = await sign_up(api)
    response = await api.delete("/api/v1/auth/api-keys/not-a-uuid", headers=session.headers)
    assert_problem(response, 422, "01")
