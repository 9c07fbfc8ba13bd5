"""Operations: liveness, readiness and Prometheus metrics, at the root (not under /api/v1)."""

from typing import Literal

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel

from .. import readiness
from ..deps import ClientsDep, SettingsDep

router = APIRouter(tags=["operations"])


class Liveness(BaseModel):
    status: Literal["ok"] = "ok"


class Readiness(BaseModel):
    status: Literal["ready", "degraded", "not_ready"]
    components: dict[str, str]
    required: list[str]


@router.get("/healthz")
async def healthz() -> Liveness:
    """Liveness: the process is up and answering."""
    return Liveness()


@router.get(
    "/readyz",
    responses={503: {"model": Readiness, "description": "What every request needs is down."}},
)
async def readyz(clients: ClientsDep, settings: SettingsDep, response: Response) -> Readiness:
    """Readiness: each dependency ("ok" or what is wrong); 503 only if a required one is down."""
    components = await readiness.check_all(clients, settings.readiness_timeout_seconds)
    status = readiness.verdict(components)
    if status == "not_ready":
        response.status_code = 503
    return Readiness(status=status, components=components, required=sorted(readiness.REQUIRED))


@router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE_LATEST: {}}, "description": "Prometheus text."}},
)
async def metrics() -> Response:
    """Prometheus metrics of this process."""
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
