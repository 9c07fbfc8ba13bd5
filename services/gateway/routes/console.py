"""The web console: static HTML, CSS and ES modules, no build step.

Its pages live at `/` and under a few sections (`/datasets/…`, `/tasks/…`, `/account/…`);
each of those paths answers the same `index.html` and the page's script draws the view. Only
the files that ship in `console/static` are served, by name, so nothing else on disk is
reachable.
"""

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

from ..errors import ProblemException

STATIC_DIR = Path(__file__).resolve().parent.parent / "console" / "static"
INDEX = STATIC_DIR / "index.html"
MEDIA_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
}
# Files change with the code, not per release: the browser revalidates (ETag) every time.
CACHE = {"Cache-Control": "no-cache"}
ASSETS = {p.name: p for p in STATIC_DIR.iterdir() if p.suffix in MEDIA_TYPES and p != INDEX}
SECTIONS = ("signin", "register", "datasets", "tasks", "analyse", "shared", "account")

router = APIRouter(include_in_schema=False)


async def console_page() -> FileResponse:
    """Any console path; the page itself says when it knows no such view."""
    return FileResponse(INDEX, media_type=MEDIA_TYPES[".html"], headers=CACHE)


router.add_api_route("/", console_page)
for section in SECTIONS:
    router.add_api_route(f"/{section}", console_page)
    router.add_api_route(f"/{section}/{{rest:path}}", console_page)


@router.get("/static/{name}")
async def asset(name: str) -> FileResponse:
    path = ASSETS.get(name)
    if path is None:
        raise ProblemException(404, "No such console file.")
    return FileResponse(path, media_type=MEDIA_TYPES[path.suffix], headers=CACHE)
