"""Cookie sessions and CSRF on the auth REST routes, end to end: gateway in-process, real auth
service, real PostgreSQL."""

import httpx

from tests.support.accounts import PASSWORD
from tests.support.gateway_accounts import cookie_sign_in, register, sign_up
from tests.support.gateway_edge import Edge, gateway, gateway_settings
from tests.support.problems import assert_problem


def set_cookies(response: httpx.Response) -> dict[str, dict[str, str | bool]]:
    """Each Set-Cookie header as {attribute (lower case): value}, keyed by cookie name."""
    out: dict[str, dict[str, str | bool]] = {}
    for header in response.headers.get_list("set-cookie"):
        name_value, *attributes = (part.strip() for part in header.split(";"))
        name, _, value = name_value.partition("=")
        attrs: dict[str, str | bool] = {"value": value}
        for attribute in attributes:
            key, eq, val = attribute.partition("=")
            attrs[key.lower()] = val if eq else True
        out[name] = attrs
    return out


# -- cookie mode ----------------------------------------------------------------------------


async def test_cookie_sign_in_sets_hardened_cookies_and_no_tokens(
    migrated_db, nats_url, auth_server
) -> None:
    settings = gateway_settings(auth_server.address, migrated_db, nats_url)  # Secure by default
    async with gateway(settings) as e:
        api = e.browser()
        user = await register(api)
        response = await api.post(
            "/api/v1/auth/token?mode=cookie",
            data={"username": user["email"], "password": PASSWORD},
        )
    assert response.status_code == 200
    body = response.json()
    assert body.keys() == {"token_type", "expires_in", "csrf_token"}
    assert body["token_type"] == "cookie"
    assert "access_token" not in response.text and "refresh_token" not in response.text
    cookies = set_cookies(response)
    assert cookies.keys() == {"il_access", "il_refresh", "il_csrf"}
    for name, attrs in cookies.items():
        assert str(attrs["samesite"]).lower() == "strict", name
        assert attrs.get("secure") is True, name
    assert cookies["il_access"]["httponly"] is True
    assert cookies["il_access"]["path"] == "/"
    assert cookies["il_access"]["max-age"] == str(body["expires_in"])
    assert cookies["il_refresh"]["httponly"] is True
    assert cookies["il_refresh"]["path"] == "/api/v1/auth"
    assert int(str(cookies["il_refresh"]["max-age"])) == 14 * 24 * 3600
    assert "httponly" not in cookies["il_csrf"]
    assert cookies["il_csrf"]["path"] == "/"
    assert cookies["il_csrf"]["value"] == body["csrf_token"]
    assert len(str(body["csrf_token"])) >= 32


async def test_secure_flag_can_be_turned_off_for_localhost(api: httpx.AsyncClient) -> None:
    body = await cookie_sign_in(api)
    assert body["token_type"] == "cookie"
    response = await api.post("/api/v1/auth/logout", headers={"X-CSRF-Token": body["csrf_token"]})
    # Deletions carry the same attributes, so browsers match and drop the cookies.
    for name, attrs in set_cookies(response).items():
        assert "secure" not in attrs, name
        assert attrs["max-age"] == "0", name


async def test_cookie_get_needs_no_csrf_token(api: httpx.AsyncClient) -> None:
    await cookie_sign_in(api)
    me = await api.get("/api/v1/auth/me")
    assert me.status_code == 200
    assert (await api.get("/api/v1/auth/api-keys")).status_code == 200


async def test_cookie_unsafe_request_needs_the_matching_csrf_header(
    api: httpx.AsyncClient,
) -> None:
    body = await cookie_sign_in(api)
    create = "/api/v1/auth/api-keys"
    missing = await api.post(create, json={"name": "k"})
    assert_problem(missing, 403, "csrf")
    wrong = await api.post(create, json={"name": "k"}, headers={"X-CSRF-Token": "guess"})
    assert_problem(wrong, 403, "csrf")
    right = await api.post(create, json={"name": "k"}, headers={"X-CSRF-Token": body["csrf_token"]})
    assert right.status_code == 201, right.text
    key_id = right.json()["id"]
    delete = f"/api/v1/auth/api-keys/{key_id}"
    assert_problem(await api.delete(delete), 403, "csrf")
    ok = await api.delete(delete, headers={"X-CSRF-Token": str(body["csrf_token"])})
    assert ok.status_code == 204


async def test_csrf_header_without_the_cookie_is_refused(edge: Edge) -> None:
    api = edge.browser()
    body = await cookie_sign_in(api)
    api.cookies.delete("il_csrf")
    response = await api.post(
        "/api/v1/auth/api-keys", json={"name": "k"}, headers={"X-CSRF-Token": body["csrf_token"]}
    )
    assert_problem(response, 403, "csrf")


async def test_bearer_requests_need_no_csrf_even_with_cookies_present(
    api: httpx.AsyncClient,
) -> None:
    await cookie_sign_in(api)  # the jar now sends il_access with every request
    session = await sign_up(api)
    response = await api.post("/api/v1/auth/api-keys", json={"name": "k"}, headers=session.headers)
    assert response.status_code == 201
    me = await api.get("/api/v1/auth/me", headers=session.headers)
    assert me.json()["id"] == session.user_id  # the header wins over the cookie


async def test_cookie_refresh_rotates_the_cookies_and_needs_csrf(
    strict_api: httpx.AsyncClient,
) -> None:
    api = strict_api
    body = await cookie_sign_in(api)
    old_refresh = api.cookies.get("il_refresh", path="/api/v1/auth")
    old_access = api.cookies.get("il_access")
    assert old_refresh and old_access

    assert_problem(await api.post("/api/v1/auth/refresh?mode=cookie"), 403, "csrf")
    response = await api.post(
        "/api/v1/auth/refresh?mode=cookie", headers={"X-CSRF-Token": body["csrf_token"]}
    )
    assert response.status_code == 200, response.text
    rotated = response.json()
    assert rotated.keys() == {"token_type", "expires_in", "csrf_token"}
    cookies = set_cookies(response)
    assert cookies.keys() == {"il_access", "il_refresh", "il_csrf"}
    assert cookies["il_refresh"]["value"] != old_refresh
    assert cookies["il_access"]["value"] != old_access
    assert cookies["il_csrf"]["value"] == rotated["csrf_token"] != body["csrf_token"]
    assert (await api.get("/api/v1/auth/me")).status_code == 200

    # Replaying the spent refresh cookie kills the family and clears the browser's cookies.
    replay = await api.post(
        "/api/v1/auth/refresh?mode=cookie",
        headers={
            "X-CSRF-Token": rotated["csrf_token"],
            "Cookie": f"il_refresh={old_refresh}; il_csrf={rotated['csrf_token']}",
        },
    )
    assert_problem(replay, 401, "unauthenticated")
    assert all(a["max-age"] == "0" for a in set_cookies(replay).values())


async def test_cookie_refresh_without_a_cookie_is_401(edge: Edge) -> None:
    response = await edge.browser().post(
        "/api/v1/auth/refresh?mode=cookie", headers={"X-CSRF-Token": "x"}
    )
    assert_problem(response, 401, "unauthenticated")


async def test_cookie_logout_revokes_the_family_and_clears_cookies(api: httpx.AsyncClient) -> None:
    body = await cookie_sign_in(api)
    refresh_token = api.cookies.get("il_refresh", path="/api/v1/auth")
    assert_problem(await api.post("/api/v1/auth/logout"), 403, "csrf")
    out = await api.post("/api/v1/auth/logout", headers={"X-CSRF-Token": body["csrf_token"]})
    assert out.status_code == 204
    assert set_cookies(out).keys() == {"il_access", "il_refresh", "il_csrf"}
    assert not api.cookies.get("il_access")
    assert_problem(await api.get("/api/v1/auth/me"), 401, "unauthenticated")
    revoked = await api.post("/api/v1/auth/refresh", json={"refresh_token": refresh_token})
    assert_problem(revoked, 401, "unauthenticated")
