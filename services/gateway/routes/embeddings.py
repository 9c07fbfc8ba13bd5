"""`POST /v1/embeddings` in the OpenAI embeddings API's shape, authenticated like every API
route (an API key or an access token as the bearer), so OpenAI clients work unmodified."""

from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response
from google.protobuf import struct_pb2

from inferlane.inference.v1 import inference_service_pb2 as pb
from inferlane.inference.v1 import inference_types_pb2 as types

from ..deps import CurrentUser, InferenceStub, JsonBody
from ..orjson_response import OrjsonResponse
from ..schemas.embeddings import (
    EmbeddingsRequest,
    EmbeddingsResponse,
    encode,
    prompt_tokens,
)
from ..schemas.problems import problems
from ..security import RPC_TIMEOUT
from ..uploads import invalid

router = APIRouter(prefix="/v1", tags=["openai"])


@router.post(
    "/embeddings",
    response_model=EmbeddingsResponse,
    dependencies=[JsonBody],
    responses=problems(401, 404, 415, 422, 503),
)
async def create_embeddings(
    body: EmbeddingsRequest, caller: CurrentUser, stub: InferenceStub
) -> Response:
    """Embed one text or a list of texts (OpenAI's embeddings API). 404: no such model; 422
    (code 01): not an embedding model, more than 64 texts, an empty text or one over 512
    characters, or `dimensions` other than the model's."""
    texts = body.texts()  # counts and lengths are checked by the schema (422, code 01)
    model = (await stub.GetModel(pb.GetModelRequest(name=body.model), timeout=RPC_TIMEOUT)).model
    if model.kind != types.MODEL_KIND_TEXT_EMBEDDING or len(model.inputs) != 1:
        raise invalid(f"{body.model} is not an embedding model")
    name = model.inputs[0].name
    inputs = []
    for text in texts:
        row = struct_pb2.Struct()
        row.update({name: text})
        inputs.append(row)
    reply = await stub.Predict(
        pb.PredictRequest(model=model.name, inputs=inputs), timeout=RPC_TIMEOUT
    )
    vectors = [list(p.embedding.vector) for p in reply.outputs]
    if body.dimensions is not None and vectors and body.dimensions != len(vectors[0]):
        raise invalid(f"{model.name} gives {len(vectors[0])} dimensions only")
    tokens = prompt_tokens(texts)
    content: dict[str, Any] = {
        "object": "list",
        "data": [
            {"object": "embedding", "index": i, "embedding": encode(v, body.encoding_format)}
            for i, v in enumerate(vectors)
        ],
        "model": model.name,
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
    }
    return OrjsonResponse(content)
