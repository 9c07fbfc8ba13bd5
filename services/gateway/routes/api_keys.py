"""API keys of the signed-in user: create (the secret is shown once), list, revoke.

Only a signed-in session manages keys (the auth service's rule): a request made with an API
key is a 403 here, except revoking that same key.
"""

import uuid

from fastapi import APIRouter

from inferlane.auth.v1 import auth_service_pb2 as pb

from ..deps import AuthenticatorDep, AuthStub, CurrentUser, Cursor, JsonBody, Limit
from ..schemas.api_keys import ApiKey, ApiKeyCreate, ApiKeyCreated
from ..schemas.common import DEFAULT_LIMIT, MAX_LIMIT, Page
from ..schemas.problems import problems
from ..security import RPC_TIMEOUT

router = APIRouter(prefix="/auth/api-keys", tags=["api keys"])


@router.post(
    "",
    status_code=201,
    dependencies=[JsonBody],
    responses=problems(401, 403, 415, 422),
)
async def create_api_key(body: ApiKeyCreate, caller: CurrentUser, stub: AuthStub) -> ApiKeyCreated:
    """Create an API key; its secret is in this answer and never shown again. Signed-in
    sessions only: an API key cannot create keys (403)."""
    reply = await stub.CreateApiKey(pb.CreateApiKeyRequest(name=body.name), timeout=RPC_TIMEOUT)
    key = ApiKey.from_pb(reply.api_key)
    return ApiKeyCreated(**key.model_dump(), secret=reply.secret)


@router.get("", responses=problems(401, 403, 422))
async def list_api_keys(
    caller: CurrentUser, stub: AuthStub, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None
) -> Page[ApiKey]:
    """Your active API keys, newest first. Signed-in sessions only (403 with an API key)."""
    reply = await stub.ListApiKeys(
        pb.ListApiKeysRequest(page_size=min(limit, MAX_LIMIT), page_token=cursor or ""),
        timeout=RPC_TIMEOUT,
    )
    return Page[ApiKey](
        items=[ApiKey.from_pb(k) for k in reply.api_keys],
        next_cursor=reply.next_page_token or None,
    )


@router.delete("/{api_key_id}", status_code=204, responses=problems(401, 403, 404, 422))
async def revoke_api_key(
    api_key_id: uuid.UUID, caller: CurrentUser, stub: AuthStub, authenticator: AuthenticatorDep
) -> None:
    """Revoke one of your API keys. With an API key, only that key itself (403 otherwise)."""
    await stub.RevokeApiKey(pb.RevokeApiKeyRequest(api_key_id=str(api_key_id)), timeout=RPC_TIMEOUT)
    # This gateway stops accepting it now; the others when the revocation event reaches them.
    authenticator.api_keys.forget(str(api_key_id))
