"""What routes may ask for, as `Annotated` aliases (``caller: CurrentUser``, ``stub: AuthStub``)."""

from typing import Annotated

from fastapi import Depends, Query, Request

from inferlane.common.admission import Admission
from inferlane.common.principal import Principal

from .clients import (
    Clients,
    DatasetsServiceAsyncStub,
    InferenceServiceAsyncStub,
    TasksServiceAsyncStub,
)
from .errors import ProblemException
from .schemas.common import INT64_MAX, MAX_LIMIT
from .security import (
    Authenticator,
    AuthServiceAsyncStub,
    JwksDocument,
    admin_user,
    current_user,
)
from .settings import GatewaySettings


def clients_of(request: Request) -> Clients:
    """The app's gRPC clients, for code that is not itself a dependency."""
    clients: Clients = request.app.state.clients
    return clients


# The dependencies below are coroutines although they only read an attribute: FastAPI runs a
# plain `def` dependency in a worker thread, a thread hop per dependency per request.


async def get_settings(request: Request) -> GatewaySettings:
    settings: GatewaySettings = request.app.state.settings
    return settings


async def get_clients(request: Request) -> Clients:
    return clients_of(request)


async def get_authenticator(request: Request) -> Authenticator:
    authenticator: Authenticator = request.app.state.authenticator
    return authenticator


async def get_jwks_document(request: Request) -> JwksDocument:
    document: JwksDocument = request.app.state.jwks_document
    return document


async def get_auth_stub(request: Request) -> AuthServiceAsyncStub:
    return clients_of(request).auth_stub


async def get_datasets_stub(request: Request) -> DatasetsServiceAsyncStub:
    return clients_of(request).datasets_stub


async def get_inference_stub(request: Request) -> InferenceServiceAsyncStub:
    return clients_of(request).inference_stub


async def get_tasks_stub(request: Request) -> TasksServiceAsyncStub:
    return clients_of(request).tasks_stub


async def get_creations(request: Request) -> Admission:
    return clients_of(request).creations


async def require_json(request: Request) -> None:
    """A body, if any, must say it is JSON (a form or text body is a 415, not a 422)."""
    content_type = request.headers.get("content-type")
    if content_type is None:
        return
    media_type = content_type.split(";", 1)[0].strip().lower()
    if media_type != "application/json" and not media_type.endswith("+json"):
        raise ProblemException(415, "Send the body as application/json.")


SettingsDep = Annotated[GatewaySettings, Depends(get_settings)]
ClientsDep = Annotated[Clients, Depends(get_clients)]
AuthenticatorDep = Annotated[Authenticator, Depends(get_authenticator)]
JwksDocumentDep = Annotated[JwksDocument, Depends(get_jwks_document)]
AuthStub = Annotated[AuthServiceAsyncStub, Depends(get_auth_stub)]
DatasetsStub = Annotated[DatasetsServiceAsyncStub, Depends(get_datasets_stub)]
InferenceStub = Annotated[InferenceServiceAsyncStub, Depends(get_inference_stub)]
TasksStub = Annotated[TasksServiceAsyncStub, Depends(get_tasks_stub)]
Creations = Annotated[Admission, Depends(get_creations)]
# The caller, already bound for outgoing gRPC calls; a 401 problem when there is none.
CurrentUser = Annotated[Principal, Depends(current_user)]
# The caller if an admin; a 403 problem otherwise.
AdminUser = Annotated[Principal, Depends(admin_user)]
JsonBody = Depends(require_json)
# Any larger value is read as MAX_LIMIT; INT64_MAX only keeps the number a number.
Limit = Annotated[
    int,
    Query(
        ge=1,
        le=INT64_MAX,
        description=f"Items per page; more than {MAX_LIMIT} reads as {MAX_LIMIT}.",
    ),
]
# Opaque to clients, but its alphabet and size are part of the contract (base64url).
CURSOR_PATTERN = "^[A-Za-z0-9_-]+$"
CURSOR_MAX_CHARS = 512
Cursor = Annotated[
    str | None,
    Query(
        description="`next_cursor` of the previous page; omit for the first. A cursor that "
        "is not one this API returned is a 422.",
        pattern=CURSOR_PATTERN,
        max_length=CURSOR_MAX_CHARS,
    ),
]
