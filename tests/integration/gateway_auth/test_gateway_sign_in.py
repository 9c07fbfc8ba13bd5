"""Registration, bearer sign-in and tokens, JWKS and the auth routes' OpenAPI, end to end:
gateway in-process, real auth service, real PostgreSQL."""

import base64
import json
import uuid

import httpx
import pytest

from inferlane.common import principal
from tests.support.accounts import PASSWORD, unique_email
from tests.support.gateway_accounts import register, sign_up
from tests.support.problems import assert_problem

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
