"""The model catalog and small synchronous predictions, for interactive use."""

from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response
from google.protobuf import struct_pb2
from google.protobuf.json_format import ParseDict

from inferlane.inference.v1 import inference_service_pb2 as pb

from ..deps import CurrentUser, InferenceStub, JsonBody
from ..orjson_response import OrjsonResponse
from ..schemas.models import Model, ModelList, PredictRequest, PredictResponse, prediction_json
from ..schemas.problems import PROBLEM_MEDIA_TYPE, PROBLEM_REF, problems
from ..security import RPC_TIMEOUT

router = APIRouter(prefix="/models", tags=["models"])

_NOT_SERVED: dict[int | str, dict[str, Any]] = {
    409: {
        "description": "The version is in the model repository but not served now "
        "(code `version_not_served`).",
        "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": PROBLEM_REF}}},
    }
}


@router.get("", responses=problems(401))
async def list_models(caller: CurrentUser, stub: InferenceStub) -> ModelList:
    """Every model the platform serves, with its readiness and versions (each with its
    model card's figures)."""
    reply = await stub.ListModels(pb.ListModelsRequest(), timeout=RPC_TIMEOUT)
    return ModelList(items=[Model.from_pb(m) for m in reply.models])


@router.get("/{name}", responses=problems(401, 404))
async def get_model(name: str, caller: CurrentUser, stub: InferenceStub) -> Model:
    """One model: kind, default version, inputs, outputs, labels, readiness and versions."""
    reply = await stub.GetModel(pb.GetModelRequest(name=name), timeout=RPC_TIMEOUT)
    return Model.from_pb(reply.model)


@router.post(
    "/{name}/predict",
    response_model=PredictResponse,
    dependencies=[JsonBody],
    responses={**problems(401, 404, 415, 422, 503), **_NOT_SERVED},
)
async def predict(
    name: str, body: PredictRequest, caller: CurrentUser, stub: InferenceStub
) -> Response:
    """Predict a small batch (up to 64 rows) now; for more, submit a batch task. 404: no such
    model or version."""
    inputs = [ParseDict(row, struct_pb2.Struct()) for row in body.inputs]
    request = pb.PredictRequest(model=name, inputs=inputs)
    if body.version is not None:
        request.version = body.version
    reply = await stub.Predict(request, timeout=RPC_TIMEOUT)
    content = {
        "model": reply.model,
        "version": reply.version,
        "outputs": [prediction_json(p) for p in reply.outputs],
    }
    return OrjsonResponse(content)
