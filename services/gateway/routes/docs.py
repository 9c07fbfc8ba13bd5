"""`/docs`: Swagger UI served from the gateway itself, so it works without internet access.

Swagger UI's files come from the pinned `fastapi-offline` wheel (only its static files are
used); the page and its start script are ours, so the page needs no inline script and the
docs CSP stays `'self'` only. Files are served by name from a fixed list.
"""

from pathlib import Path

import fastapi_offline
from fastapi import APIRouter
from fastapi.responses import FileResponse

from ..errors import ProblemException

DOCS_URL = "/docs"
PAGE_DIR = Path(__file__).resolve().parent.parent / "docs_page"
SWAGGER_DIR = Path(fastapi_offline.__file__).resolve().parent / "static"
ASSETS = {
    "swagger-ui-bundle.js": SWAGGER_DIR / "swagger-ui-bundle.js",
    "swagger-ui.css": SWAGGER_DIR / "swagger-ui.css",
    "docs.js": PAGE_DIR / "docs.js",
}
MEDIA_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}
# Swagger UI changes with the pinned wheel, our script with the code: revalidate (ETag).
CACHE = {"Cache-Control": "no-cache"}

router = APIRouter(include_in_schema=False)


@router.get(DOCS_URL)
async def docs_page() -> FileResponse:
    return FileResponse(PAGE_DIR / "index.html", media_type="text/html; charset=utf-8")


@router.get(f"{DOCS_URL}/assets/{{name}}")
async def docs_asset(name: str) -> FileResponse:
    path = ASSETS.get(name)
    if path is None:
        raise ProblemException(404, "No such documentation file.")
    return FileResponse(path, media_type=MEDIA_TYPES[path.suffix], headers=CACHE)
