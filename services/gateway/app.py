"""Assembles the FastAPI app from settings: clients in the lifespan, middlewares, errors, routes."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from . import errors
from .body_limit import BodyLimitMiddleware
from .clients import Clients
from .middleware import (
    RequestContextMiddleware,
    SecurityHeadersMiddleware,
    UnhandledErrorMiddleware,
)
from .revocations import RevocationListener
from .routes import (
    admin,
    api_keys,
    auth,
    console,
    datasets,
    docs,
    embeddings,
    health,
    models,
    search,
    shared,
    task_audit,
    tasks,
    webhooks,
    well_known,
)
from .routes.docs import DOCS_URL
from .schemas.problems import add_problem_schema
from .security import Authenticator, JwksDocument
from .settings import GatewaySettings

VERSION = "0.1.0"
API_PREFIX = "/api/v1"
# Probes and scrapes every few seconds would bury the requests worth a trace.
UNTRACED_URLS = "/healthz$,/readyz$,/metrics$"

DESCRIPTION = """\
Inferlane turns machine-learning models into a task API: sign in, upload a dataset,
submit inference tasks (one text or every row of a dataset), follow their progress and
fetch the results.

Errors are RFC 7807 `application/problem+json` documents with `type, title, status,
detail, instance, code, request_id`; `code` is `01` (invalid input), `02` (unsupported or
unreadable file), `03` (processing failed), or a short word such as `not_found`.
Every response carries an `X-Request-ID` header (send your own to correlate logs: up to 128
letters, digits and `._:-`; anything else is replaced). Bodies other than uploads are limited
to `GATEWAY_MAX_BODY_BYTES` (413).

**Trying requests here (Authorize).** Pick one of the schemes in the Authorize dialog:

- *OAuth2PasswordBearer*: `username` is your account's email and `password` its password;
  leave `client_id` and `client_secret` empty (Inferlane has no OAuth clients; the token
  endpoint ignores them) and keep "Client credentials location" as it is. Swagger UI then
  sends `Authorization: Bearer <access token>` with every request.
- *APIKeyHeader*: paste an API key (`ilk_…`, from `POST /api/v1/auth/api-keys`); it is sent
  as `X-API-Key`. Scripts should prefer this.
- *APIKeyCookie*: the console's session cookie; nothing to type while you are signed in to
  the console in this browser (unsafe methods also need the `X-CSRF-Token` header).
"""

# Resource routers (auth, datasets, models, tasks) are included here as they arrive.
api_router = APIRouter(prefix=API_PREFIX)
api_router.include_router(auth.router)
api_router.include_router(api_keys.router)
api_router.include_router(admin.router)
api_router.include_router(datasets.router)
api_router.include_router(shared.router)
api_router.include_router(models.router)
api_router.include_router(tasks.router)
api_router.include_router(search.router)
api_router.include_router(task_audit.router)
api_router.include_router(webhooks.router)


def create_app(settings: GatewaySettings) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        clients = Clients.open(settings)
        app.state.clients = clients
        app.state.authenticator = Authenticator.open(clients.auth, settings)
        revocations = RevocationListener(clients.nats, app.state.authenticator.api_keys)
        revocations.start()
        app.state.jwks_document = JwksDocument(clients.auth_stub)
        try:
            yield
        finally:
            await revocations.close()
            await app.state.clients.close()

    app = FastAPI(
        title="Inferlane",
        version=VERSION,
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,  # routes/docs.py serves Swagger UI without a CDN or inline script
        redoc_url=None,  # one docs UI is enough
        middleware=_middleware(settings),
    )
    app.state.settings = settings
    errors.install(app)
    app.include_router(health.router)
    app.include_router(well_known.router)
    app.include_router(docs.router)
    app.include_router(api_router)
    app.include_router(embeddings.router)  # /v1/embeddings: where OpenAI clients look
    app.include_router(console.router)  # last: the API and /docs keep their paths
    _document_problems(app)
    # Outermost, so request logs carry the trace id. Its tracer is looked up lazily: a no-op
    # until configure_tracing (or a test) installs a provider.
    FastAPIInstrumentor.instrument_app(
        app, excluded_urls=UNTRACED_URLS, exclude_spans=["receive", "send"]
    )
    return app


def _document_problems(app: FastAPI) -> None:
    """Routes declare their errors as references to one `Problem` schema; add it once."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = add_problem_schema(generate())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _middleware(settings: GatewaySettings) -> list[Middleware]:
    """Outermost first. CORS sits inside the request context so preflights are logged and
    carry a request id, and outside the error catcher so a 500 is still readable by browsers."""
    stack = []
    if settings.trusted_proxies:
        # Outermost: everything inside sees the client the trusted proxy names.
        stack.append(Middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxies))
    stack += [
        Middleware(SecurityHeadersMiddleware, docs_paths=[DOCS_URL]),
        Middleware(RequestContextMiddleware),
    ]
    if settings.cors_origins:
        stack.append(
            Middleware(
                CORSMiddleware,
                allow_origins=settings.cors_origins,
                allow_credentials=True,  # browsers may sign in with cookies
                allow_methods=["*"],
                allow_headers=["*"],
                expose_headers=["X-Request-ID", "Retry-After"],
            )
        )
    stack.append(Middleware(UnhandledErrorMiddleware))
    stack.append(
        Middleware(
            BodyLimitMiddleware,
            max_body_bytes=settings.max_body_bytes,
            # The routes that stream a multipart upload and count it against the upload limit.
            streamed_paths=frozenset({f"{API_PREFIX}/datasets", f"{API_PREFIX}/tasks/batch-file"}),
        )
    )
    return stack
