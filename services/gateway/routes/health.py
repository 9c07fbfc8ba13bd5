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
    status: Literal["ready", "not_ready"]
    components: dict[str, str]


@router.get("/healthz")
async def healthz() -> Liveness:
    """Liveness: the process is up and answering."""
    return Liveness()


@router.get(
    "/readyz",
    responses={503: {"model": Readiness, "description": "A dependency is not ready."}},
)
async def readyz(clients: ClientsDep, settings: SettingsDep, response: Response) -> Readiness:
    """Readiness: PostgreSQL, NATS, every service and Triton answer ("ok" or what is wrong)."""
    components = await readiness.check_all(clients, settings.readiness_timeout_seconds)
    ready = all(state == readiness.OK for state in components.values())
    if not ready:
        response.status_code = 503
    return Readiness(status="ready" if ready else "not_ready", components=components)


@router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE_LATEST: {}}, "description": "Prometheus text."}},
)
async def metrics() -> Response:
    """Prometheus metrics of this process."""
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
