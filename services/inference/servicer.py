"""gRPC front of the inference service: proto <-> domain, nothing else."""

from typing import Any

import grpc

from inferlane.common import structs
from inferlane.common.errors import INVALID_INPUT, InvalidInput
from inferlane.inference.v1 import inference_service_pb2 as pb
from inferlane.inference.v1 import inference_service_pb2_grpc, inference_types_pb2
from services.inference.service import (
    Classification,
    Embedding,
    InferenceService,
    ModelInfo,
    Prediction,
    VersionState,
)

SERVICE_NAME = pb.DESCRIPTOR.services_by_name["InferenceService"].full_name
# The catalog is not user data: the gateway's /readyz reads it without a caller.
PUBLIC_METHODS = frozenset({f"/{SERVICE_NAME}/ListModels", f"/{SERVICE_NAME}/GetModel"})

_KINDS = {
    "text_classification": inference_types_pb2.MODEL_KIND_TEXT_CLASSIFICATION,
    "text_embedding": inference_types_pb2.MODEL_KIND_TEXT_EMBEDDING,
    "tabular_regression": inference_types_pb2.MODEL_KIND_TABULAR_REGRESSION,
}


def version_pb(version: VersionState) -> inference_types_pb2.ModelVersion:
    message = inference_types_pb2.ModelVersion(version=version.number, ready=version.ready)
    if (card := version.card) is not None:
        message.card.CopyFrom(
            inference_types_pb2.ModelCardMetrics(
                split=card.split, macro_f1=card.macro_f1, accuracy=card.accuracy, f1=card.f1
            )
        )
    return message


def model_pb(info: ModelInfo) -> inference_types_pb2.Model:
    spec = info.spec
    return inference_types_pb2.Model(
        name=spec.name,
        kind=_KINDS[spec.kind],
        version=info.default_version,
        inputs=[
            inference_types_pb2.TensorSpec(name=c.name, datatype=c.datatype, shape=[-1])
            for c in spec.inputs
        ],
        outputs=[
            inference_types_pb2.TensorSpec(name=c.name, datatype=c.datatype, shape=[-1])
            for c in spec.outputs
        ],
        labels=list(spec.labels),
        max_text_length=spec.max_text_length,
        ready=info.ready,
        versions=[version_pb(v) for v in info.versions],
    )


def prediction_pb(prediction: Prediction) -> inference_types_pb2.Prediction:
    if isinstance(prediction, Classification):
        return inference_types_pb2.Prediction(
            classification=inference_types_pb2.Classification(
                label=prediction.label, scores=prediction.scores
            )
        )
    if isinstance(prediction, Embedding):
        return inference_types_pb2.Prediction(
            embedding=inference_types_pb2.Embedding(vector=prediction.vector)
        )
    return inference_types_pb2.Prediction(
        regression=inference_types_pb2.Regression(value=prediction.value)
    )


class InferenceServicer(inference_service_pb2_grpc.InferenceServiceServicer):
    def __init__(self, service: InferenceService) -> None:
        self._service = service

    async def ListModels(
        self,
        request: pb.ListModelsRequest,
        context: grpc.aio.ServicerContext[pb.ListModelsRequest, pb.ListModelsResponse],
    ) -> pb.ListModelsResponse:
        return pb.ListModelsResponse(
            models=[model_pb(m) for m in await self._service.list_models()]
        )

    async def GetModel(
        self,
        request: pb.GetModelRequest,
        context: grpc.aio.ServicerContext[pb.GetModelRequest, pb.GetModelResponse],
    ) -> pb.GetModelResponse:
        return pb.GetModelResponse(model=model_pb(await self._service.get_model(request.name)))

    async def Predict(
        self,
        request: pb.PredictRequest,
        context: grpc.aio.ServicerContext[pb.PredictRequest, pb.PredictResponse],
    ) -> pb.PredictResponse:
        rows = _rows(request)
        version = request.version if request.HasField("version") else None
        predicted = await self._service.predict(request.model, rows, version)
        return pb.PredictResponse(
            model=request.model,
            version=predicted.version,
            outputs=[prediction_pb(p) for p in predicted.outputs],
        )


def _rows(request: pb.PredictRequest) -> list[dict[str, Any]]:
    """The request's rows, from `inputs_json` or from `inputs`; what JSON or a `Struct` cannot
    carry as a row (a NaN, text that is not JSON) is the caller's error."""
    try:
        if request.inputs_json:
            if request.inputs:
                raise InvalidInput("give inputs or inputs_json, not both", code=INVALID_INPUT)
            return structs.from_rows_json(request.inputs_json)
        return [structs.to_dict(s) for s in request.inputs]
    except ValueError as exc:  # orjson's JSONDecodeError is one
        raise InvalidInput(f"inputs: {exc}", code=INVALID_INPUT) from None
