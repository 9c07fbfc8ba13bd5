"""The auth REST routes end to end: gateway in-process, real auth service, real PostgreSQL."""

import base64
import json
import random
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager

from inferlane.common import principal
from inferlane.common.db import make_engine
from services.auth.process import auth_service
from services.auth.process import build as build_auth
from services.auth.settings import AuthSettings
from services.gateway.app import create_app
from services.gateway.settings import GatewaySettings
from tests.integration.conftest import fast
from tests.support.accounts import PASSWORD, unique_email

BASE_URL = "http://gateway.test"
PROBLEM_FIELDS = {"type", "title", "status", "detail", "instance", "code", "request_id"}


@dataclass
class Edge:
    """One gateway app; each `browser()` is a separate client with its own cookie jar."""

    transport: httpx.ASGITransport
    opened: list[httpx.AsyncClient] = field(default_factory=list)

    def browser(self) -> httpx.AsyncClient:
        client = httpx.AsyncClient(transport=self.transport, base_url=BASE_URL)
        self.opened.append(client)
        return client


@asynccontextmanager
async def gateway(settings: GatewaySettings) -> AsyncIterator[Edge]:
    """Like test_readyz's helper, with a client address of its own: the login throttle counts
    failures per address in the shared database, so tests must not share one."""
    app = create_app(settings)
    address = f"10.{random.randrange(256)}.{random.randrange(256)}.{random.randrange(1, 255)}"
    async with LifespanManager(app) as manager:
        edge = Edge(httpx.ASGITransport(app=manager.app, client=(address, 40000)))
        try:
            yield edge
        finally:
            for client in edge.opened:
                await client.aclose()


def gateway_settings(auth_address: str, db: str, nats: str, **values: object) -> GatewaySettings:
    return GatewaySettings(
        auth_addr=auth_address,
        database_url=db,
        nats_url=nats,
        **values,  # type: ignore[arg-type]
    )


@pytest.fixture
async def edge(migrated_db, nats_url, auth_server) -> AsyncIterator[Edge]:
    """Cookies not Secure, so httpx's jar sends them over http://."""
    settings = gateway_settings(auth_server.address, migrated_db, nats_url, cookie_secure=False)
    async with gateway(settings) as e:
        yield e


@pytest.fixture
async def api(edge: Edge) -> httpx.AsyncClient:
    return edge.browser()


@pytest.fixture
async def strict_api(
    migrated_db, nats_url, tmp_path, start_process
) -> AsyncIterator[httpx.AsyncClient]:
    """Behind an auth service without a refresh grace period, so that any reuse is a replay
    (the grace period itself is tested against the service, with a clock that stands still)."""
    auth = await start_process(
        build_auth,
        fast(
            AuthSettings,
            database_url=migrated_db,
            nats_url=nats_url,
            signing_key_file=tmp_path / "strict.pem",
            refresh_grace_seconds=0,
        ),
    )
    settings = gateway_settings(auth.address, migrated_db, nats_url, cookie_secure=False)
    async with gateway(settings) as e:
        yield e.browser()


@dataclass(frozen=True)
class Session:
    user_id: str
    email: str
    password: str
    access_token: str
    refresh_token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}


async def register(api: httpx.AsyncClient, email: str | None = None) -> dict[str, object]:
    response = await api.post(
        "/api/v1/auth/register", json={"email": email or unique_email(), "password": PASSWORD}
    )
    assert response.status_code == 201, response.text
    user: dict[str, object] = response.json()
    return user


async def sign_in(api: httpx.AsyncClient, email: str, password: str = PASSWORD) -> Session:
    response = await api.post("/api/v1/auth/token", data={"username": email, "password": password})
    assert response.status_code == 200, response.text
    body = response.json()
    me = await api.get(
        "/api/v1/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"}
    )
    return Session(me.json()["id"], email, password, body["access_token"], body["refresh_token"])


async def sign_up(api: httpx.AsyncClient) -> Session:
    user = await register(api)
    return await sign_in(api, str(user["email"]))


async def cookie_sign_in(browser: httpx.AsyncClient) -> dict[str, object]:
    """Register and sign in in cookie mode; the browser's jar keeps the cookies."""
    user = await register(browser)
    response = await browser.post(
        "/api/v1/auth/token?mode=cookie", data={"username": user["email"], "password": PASSWORD}
    )
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


async def promote_to_admin(db: str, email: str, key_dir: Path) -> None:
    """The first admin comes from the CLI's code path, which only touches the database."""
    settings = AuthSettings(database_url=db, signing_key_file=key_dir / "admin-cli-key.pem")
    engine = make_engine(db, pool_size=1)
    try:
        service, _, _ = auth_service(settings, engine)
        await service.ensure_admin(email, None)
    finally:
        await engine.dispose()


def assert_problem(response: httpx.Response, status: int, code: str) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, object] = response.json()
    assert body.keys() >= PROBLEM_FIELDS
    assert (body["status"], body["code"]) == (status, code)
    return body


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


# -- registration ---------------------------------------------------------------------------


async def test_register_returns_the_user_and_nothing_secret(api: httpx.AsyncClient) -> None:
    email = unique_email("Mixed.Case")
    response = await api.post(
        "/api/v1/auth/register", json={"email": f"  {email.upper()} ", "password": PASSWORD}
    )
    assert response.status_code == 201
    user = response.json()
    assert user.keys() == {"id", "email", "role", "created_at"}
    assert user["email"] == email.lower() and user["role"] == "user"
    uuid.UUID(user["id"])
    assert user["created_at"].endswith("Z")  # RFC 3339, UTC
    assert PASSWORD not in response.text


async def test_duplicate_registration_is_a_409(api: httpx.AsyncClient) -> None:
    user = await register(api)
    response = await api.post(
        "/api/v1/auth/register", json={"email": user["email"], "password": PASSWORD}
    )
    assert_problem(response, 409, "conflict")


@pytest.mark.parametrize(
    "body",
    [
        {"email": 12345, "password": PASSWORD},  # wrong type
        {"email": "a@example.com"},  # missing field
        {"email": "not-an-email", "password": PASSWORD},  # the service's email check
        {"email": "a@example.com", "password": "short"},  # the service's password policy
        {"email": "a@example.com", "password": "x" * 10_000},  # too big for the policy
        {"email": "same-as-password@example.com", "password": "same-as-password@example.com"},
    ],
    ids=["email-number", "missing", "bad-email", "short", "10k-password", "password-is-email"],
)
async def test_invalid_registrations_are_422_code_01(
    api: httpx.AsyncClient, body: dict[str, object]
) -> None:
    response = await api.post("/api/v1/auth/register", json=body)
    assert_problem(response, 422, "01")
    assert "x" * 100 not in response.text  # the input is not echoed back


async def test_malformed_json_is_a_422(api: httpx.AsyncClient) -> None:
    response = await api.post(
        "/api/v1/auth/register",
        content=b'{"email": "a@example.com", ',
        headers={"content-type": "application/json"},
    )
    assert assert_problem(response, 422, "01")["detail"] == "The request body is not valid JSON."


async def test_a_form_where_json_is_expected_is_a_415(api: httpx.AsyncClient) -> None:
    response = await api.post(
        "/api/v1/auth/register", data={"email": unique_email(), "password": PASSWORD}
    )
    assert_problem(response, 415, "unsupported_media_type")


async def test_json_where_the_password_form_is_expected_is_a_422(api: httpx.AsyncClient) -> None:
    user = await register(api)
    response = await api.post(
        "/api/v1/auth/token", json={"username": user["email"], "password": PASSWORD}
    )
    assert_problem(response, 422, "01")


# -- bearer mode ----------------------------------------------------------------------------


async def test_bearer_session_sign_in_me_refresh_logout(api: httpx.AsyncClient) -> None:
    user = await register(api)
    response = await api.post(
        "/api/v1/auth/token", data={"username": user["email"], "password": PASSWORD}
    )
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    assert "set-cookie" not in response.headers
    tokens = response.json()
    assert tokens.keys() == {"access_token", "refresh_token", "token_type", "expires_in"}
    assert tokens["token_type"] == "bearer" and tokens["expires_in"] == 900

    me = await api.get(
        "/api/v1/auth/me", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    )
    assert me.status_code == 200
    assert me.json() == user

    refreshed = await api.post(
        "/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
    )
    assert refreshed.status_code == 200, refreshed.text
    new = refreshed.json()
    assert new.keys() == tokens.keys()
    assert new["refresh_token"] != tokens["refresh_token"]
    me = await api.get(
        "/api/v1/auth/me", headers={"Authorization": f"Bearer {new['access_token']}"}
    )
    assert me.json()["id"] == user["id"]

    out = await api.post("/api/v1/auth/logout", json={"refresh_token": new["refresh_token"]})
    assert out.status_code == 204 and out.content == b""
    again = await api.post("/api/v1/auth/refresh", json={"refresh_token": new["refresh_token"]})
    assert_problem(again, 401, "unauthenticated")


async def test_reused_refresh_token_is_401_and_revokes_the_family(
    strict_api: httpx.AsyncClient,
) -> None:
    api = strict_api
    session = await sign_up(api)
    first = await api.post("/api/v1/auth/refresh", json={"refresh_token": session.refresh_token})
    newest = first.json()["refresh_token"]
    reused = await api.post("/api/v1/auth/refresh", json={"refresh_token": session.refresh_token})
    assert_problem(reused, 401, "unauthenticated")
    assert reused.headers["www-authenticate"].startswith("Bearer")
    dead = await api.post("/api/v1/auth/refresh", json={"refresh_token": newest})
    assert_problem(dead, 401, "unauthenticated")


async def test_refresh_in_bearer_mode_needs_the_body(api: httpx.AsyncClient) -> None:
    assert_problem(await api.post("/api/v1/auth/refresh"), 422, "01")
    assert_problem(await api.post("/api/v1/auth/refresh", json={"token": "x"}), 422, "01")


async def test_wrong_password_and_unknown_email_get_the_same_401(api: httpx.AsyncClient) -> None:
    user = await register(api)
    wrong = await api.post(
        "/api/v1/auth/token", data={"username": user["email"], "password": "wrong password!"}
    )
    unknown = await api.post(
        "/api/v1/auth/token", data={"username": unique_email(), "password": PASSWORD}
    )
    body_wrong = assert_problem(wrong, 401, "unauthenticated")
    body_unknown = assert_problem(unknown, 401, "unauthenticated")
    assert body_wrong["detail"] == body_unknown["detail"]
    assert wrong.headers["www-authenticate"] == unknown.headers["www-authenticate"] == "Bearer"


async def test_repeated_failed_sign_ins_are_429_with_retry_after(api: httpx.AsyncClient) -> None:
    user = await register(api)
    form = {"username": user["email"], "password": "not the password"}
    statuses = [(await api.post("/api/v1/auth/token", data=form)).status_code for _ in range(5)]
    assert statuses == [401] * 5
    locked = await api.post("/api/v1/auth/token", data={**form, "password": PASSWORD})
    assert_problem(locked, 429, "too_many_requests")
    assert int(locked.headers["retry-after"]) > 0


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer not.a.jwt"},
        {"Authorization": "Bearer "},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": "Bearer ilk_not_a_key"},
        {"X-API-Key": "ilk_not_a_key"},
        {"X-API-Key": "no-prefix"},
        {"Cookie": "il_access=not.a.jwt"},
    ],
    ids=[
        "none",
        "garbage-jwt",
        "empty",
        "basic",
        "bad-key",
        "bad-x-api-key",
        "no-prefix",
        "cookie",
    ],
)
async def test_missing_or_invalid_credentials_are_401_with_a_bearer_challenge(
    api: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    response = await api.get("/api/v1/auth/me", headers=headers)
    assert_problem(response, 401, "unauthenticated")
    assert response.headers["www-authenticate"].startswith("Bearer")


async def test_tampered_or_refresh_tokens_are_not_access_tokens(api: httpx.AsyncClient) -> None:
    session = await sign_up(api)
    header, payload, signature = session.access_token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["role"] = "admin"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    for token in (f"{header}.{forged}.{signature}", session.refresh_token):
        response = await api.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
        assert_problem(response, 401, "unauthenticated")


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/v1/auth/me"),
        ("GET", "/api/v1/auth/api-keys"),
        ("POST", "/api/v1/auth/api-keys"),
        ("DELETE", f"/api/v1/auth/api-keys/{uuid.uuid4()}"),
        ("GET", "/api/v1/admin/users"),
        ("PATCH", f"/api/v1/admin/users/{uuid.uuid4()}"),
    ],
)
async def test_every_protected_route_is_401_without_credentials(
    api: httpx.AsyncClient, method: str, path: str
) -> None:
    body = {"name": "k", "role": "admin"} if method in {"POST", "PATCH"} else None
    response = await api.request(method, path, json=body)
    assert_problem(response, 401, "unauthenticated")


async def test_the_callers_principal_does_not_outlive_the_request(api: httpx.AsyncClient) -> None:
    """In-process, the request runs in the test's own context: the gateway must unbind."""
    session = await sign_up(api)
    assert (await api.get("/api/v1/auth/me", headers=session.headers)).status_code == 200
    assert principal.current_or_none() is None


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


# -- admin ----------------------------------------------------------------------------------


async def test_admin_routes_are_403_for_users(api: httpx.AsyncClient) -> None:
    session = await sign_up(api)
    assert_problem(await api.get("/api/v1/admin/users", headers=session.headers), 403, "forbidden")
    response = await api.patch(
        f"/api/v1/admin/users/{session.user_id}", json={"role": "admin"}, headers=session.headers
    )
    assert_problem(response, 403, "forbidden")


async def test_admin_lists_users_and_changes_roles(
    api: httpx.AsyncClient, migrated_db: str, tmp_path: Path
) -> None:
    admin = await sign_up(api)
    other = await sign_up(api)
    await promote_to_admin(migrated_db, admin.email, tmp_path)
    # The old token still says "user"; a new sign-in carries the new role.
    assert (await api.get("/api/v1/admin/users", headers=admin.headers)).status_code == 403
    admin = await sign_in(api, admin.email)

    users = await api.get("/api/v1/admin/users?limit=100", headers=admin.headers)
    assert users.status_code == 200, users.text
    page = users.json()
    assert page.keys() == {"items", "next_cursor"}
    assert all(u.keys() == {"id", "email", "role", "created_at"} for u in page["items"])

    changed = await api.patch(
        f"/api/v1/admin/users/{other.user_id}", json={"role": "admin"}, headers=admin.headers
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["role"] == "admin" and changed.json()["id"] == other.user_id
    back = await api.patch(
        f"/api/v1/admin/users/{other.user_id}", json={"role": "user"}, headers=admin.headers
    )
    assert back.json()["role"] == "user"

    missing = await api.patch(
        f"/api/v1/admin/users/{uuid.uuid4()}", json={"role": "user"}, headers=admin.headers
    )
    assert_problem(missing, 404, "not_found")
    bad_role = await api.patch(
        f"/api/v1/admin/users/{other.user_id}", json={"role": "root"}, headers=admin.headers
    )
    assert_problem(bad_role, 422, "01")


# -- JWKS and OpenAPI -----------------------------------------------------------------------


async def test_jwks_is_served_at_the_root_and_matches_the_tokens(api: httpx.AsyncClient) -> None:
    session = await sign_up(api)
    response = await api.get("/.well-known/jwks.json")
    assert response.status_code == 200
    assert "max-age" in response.headers["cache-control"]
    keys = response.json()["keys"]
    assert keys and all(k.keys() >= {"kty", "crv", "x", "kid", "alg", "use"} for k in keys)
    assert all("d" not in k for k in keys)  # public halves only
    header = session.access_token.split(".")[0]
    kid = json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))["kid"]
    assert kid in {k["kid"] for k in keys}
    assert (await api.get("/api/v1/.well-known/jwks.json")).status_code == 404


EXPECTED_ERRORS = {
    ("post", "/api/v1/auth/register"): {"409", "415", "422"},
    ("post", "/api/v1/auth/token"): {"401", "422", "429"},
    ("post", "/api/v1/auth/refresh"): {"401", "403", "415", "422"},
    ("post", "/api/v1/auth/logout"): {"403", "415", "422"},
    ("get", "/api/v1/auth/me"): {"401"},
    ("post", "/api/v1/auth/api-keys"): {"401", "403", "415", "422"},
    ("get", "/api/v1/auth/api-keys"): {"401", "403", "422"},
    ("delete", "/api/v1/auth/api-keys/{api_key_id}"): {"401", "403", "404", "422"},
    ("get", "/api/v1/admin/users"): {"401", "403", "422"},
    ("patch", "/api/v1/admin/users/{user_id}"): {"401", "403", "404", "415", "422"},
    ("get", "/.well-known/jwks.json"): {"503"},
}


async def test_openapi_declares_every_auth_route_with_its_problems(
    api: httpx.AsyncClient,
) -> None:
    schema = (await api.get("/openapi.json")).json()
    for (method, path), statuses in EXPECTED_ERRORS.items():
        operation = schema["paths"][path][method]
        assert operation["description"], (method, path)
        errors = {s for s in operation["responses"] if s.startswith(("4", "5"))}
        # Every body may be over the gateway's size limit; a JSON one may not decode.
        body = operation.get("requestBody", {}).get("content", {})
        assert ("413" in errors) == bool(body), (method, path)
        assert ("400" in errors) == ("application/json" in body), (method, path)
        assert errors - {"400", "413"} == statuses, (method, path, errors)
        for status in errors:
            content = operation["responses"][status]["content"]
            assert content == {
                "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
            }
    assert schema["components"]["schemas"]["Problem"]["required"]
    assert (
        "Retry-After"
        in schema["paths"]["/api/v1/auth/token"]["post"]["responses"]["429"]["headers"]
    )
    flows = schema["components"]["securitySchemes"]["OAuth2PasswordBearer"]["flows"]
    assert flows["password"]["tokenUrl"] == "/api/v1/auth/token"
    assert "X-API-Key" in json.dumps(schema["components"]["securitySchemes"])
    form = schema["paths"]["/api/v1/auth/token"]["post"]["requestBody"]["content"]
    assert "application/x-www-form-urlencoded" in form
    user = schema["components"]["schemas"]["User"]
    assert set(user["properties"]) == {"id", "email", "role", "created_at"}
