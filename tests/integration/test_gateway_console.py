"""The web console as the gateway serves it: pages, assets, CSP, and the API left as it was."""

import re
from collections.abc import AsyncIterator

import httpx
import pytest
from asgi_lifespan import LifespanManager

from services.gateway.app import create_app
from services.gateway.routes.console import ASSETS, STATIC_DIR
from tests.support.problems import PROBLEM_FIELDS
from tests.support.unreachable import unreachable_settings


@pytest.fixture(scope="module")
async def client() -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(unreachable_settings())
    async with (
        LifespanManager(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as c,
    ):
        yield c


async def test_root_serves_the_console_page(client: httpx.AsyncClient) -> None:
    response = await client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert '<script type="module" src="/static/app.js">' in response.text
    assert "<main" in response.text


@pytest.mark.parametrize(
    ("name", "media_type"),
    [
        ("app.js", "text/javascript; charset=utf-8"),
        ("api.js", "text/javascript; charset=utf-8"),
        ("style.css", "text/css; charset=utf-8"),
        ("favicon.svg", "image/svg+xml"),
    ],
)
async def test_assets_have_their_content_types(
    client: httpx.AsyncClient, name: str, media_type: str
) -> None:
    response = await client.get(f"/static/{name}")
    assert response.status_code == 200
    assert response.headers["content-type"] == media_type
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.content == (STATIC_DIR / name).read_bytes()


async def test_every_module_the_page_imports_is_served(client: httpx.AsyncClient) -> None:
    """A module missing from the static folder would only show up as a blank page."""
    for name in ASSETS:
        if name.endswith(".js"):
            text = (await client.get(f"/static/{name}")).text
            for imported in re.findall(r'from "\./([\w.-]+)"', text):
                assert (await client.get(f"/static/{imported}")).status_code == 200, imported


@pytest.mark.parametrize("path", ["/static/nope.js", "/static/..%2Fapp.py", "/static/"])
async def test_unknown_assets_are_404_problems(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path)
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


async def test_console_csp_forbids_inline_script_and_style(client: httpx.AsyncClient) -> None:
    for path in ("/", "/static/app.js", "/datasets"):
        csp = (await client.get(path)).headers["content-security-policy"]
        directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
        assert directives["default-src"] == "'self'"
        assert "unsafe-inline" not in csp
        assert "unsafe-eval" not in csp
        assert directives["frame-ancestors"] == "'none'"
    page = (await client.get("/")).text
    assert "<style" not in page and " style=" not in page
    assert re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page) is None  # no inline script


@pytest.mark.parametrize(
    "path",
    [
        "/signin",
        "/register",
        "/datasets",
        "/datasets/6f1f5b0e-3c1a-4e0b-9a55-2f0d7c3e9b11",
        "/tasks",
        "/tasks/new",
        "/tasks/3b7e4c1a-9f2d-4e8b-a6c5-0d1e2f3a4b5c",
        "/analyse",
        "/account/webhooks",
        "/account/webhooks/6f1f5b0e-3c1a-4e0b-9a55-2f0d7c3e9b11",
        "/datasets/not/a/page",  # unknown to the page too: it shows its own "not found"
    ],
)
async def test_console_paths_fall_back_to_the_page(client: httpx.AsyncClient, path: str) -> None:
    response = await client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.text == (STATIC_DIR / "index.html").read_text()


@pytest.mark.parametrize("path", ["/nowhere", "/api/v1/nowhere", "/api/v1/datasets/x/y/z"])
async def test_paths_outside_the_console_stay_404_problems(
    client: httpx.AsyncClient, path: str
) -> None:
    response = await client.get(path)
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json().keys() >= PROBLEM_FIELDS


async def test_api_routes_still_answer_as_the_api(client: httpx.AsyncClient) -> None:
    me = await client.get("/api/v1/auth/me")
    assert me.status_code == 401
    assert me.headers["content-type"] == "application/problem+json"
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    assert (await client.post("/datasets")).status_code == 405  # the console only answers GET


async def test_docs_and_openapi_are_unchanged(client: httpx.AsyncClient) -> None:
    docs = await client.get("/docs")
    assert docs.status_code == 200
    assert "swagger-ui" in docs.text
    assert "unsafe-inline" not in docs.headers["content-security-policy"]
    paths = (await client.get("/openapi.json")).json()["paths"]
    assert "/api/v1/tasks" in paths
    assert not any(p == "/" or p.startswith(("/static", "/datasets", "/tasks")) for p in paths)
