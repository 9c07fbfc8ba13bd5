"""Documents at the site root: the JWK Set that verifies access tokens."""

from fastapi import APIRouter, Response

from ..deps import JwksDocumentDep
from ..schemas.problems import problems
from ..schemas.well_known import Jwks

router = APIRouter(tags=["auth"])


@router.get("/.well-known/jwks.json", responses=problems(503))
async def jwks(document: JwksDocumentDep, response: Response) -> Jwks:
    """Public keys (JWK Set) that verify access tokens offline; refetch on an unknown `kid`."""
    keys = await document.get()
    response.headers["Cache-Control"] = f"public, max-age={int(document.max_age)}"
    return Jwks.model_validate(keys)
