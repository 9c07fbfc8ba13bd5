"""Models and predictions as the REST contract shows them."""

from typing import Any

from pydantic import BaseModel, Field, field_validator

from inferlane.inference.v1 import inference_types_pb2

from .inputs import INPUTS_DESCRIPTION, check_inputs

MAX_PREDICT_ROWS = 64

_KINDS = {
    inference_types_pb2.MODEL_KIND_TEXT_CLASSIFICATION: "text_classification",
    inference_types_pb2.MODEL_KIND_TEXT_EMBEDDING: "text_embedding",
    inference_types_pb2.MODEL_KIND_TABULAR_REGRESSION: "tabular_regression",
}


class TensorSpec(BaseModel):
    name: str
    datatype: str


class Model(BaseModel):
    name: str = Field(examples=["sentiment"])
    kind: str = Field(examples=["text_classification"])
    version: str = Field(examples=["1"])
    inputs: list[TensorSpec]
    outputs: list[TensorSpec]
    labels: list[str] = Field(examples=[["negative", "neutral", "positive"]])
    max_text_length: int | None = Field(
        examples=[512], description="For text inputs, in characters."
    )
    ready: bool = Field(description="Loaded in Triton and able to answer now.")

    @classmethod
    def from_pb(cls, model: inference_types_pb2.Model) -> "Model":
        return cls(
            name=model.name,
            kind=_KINDS.get(model.kind, "unknown"),
            version=model.version,
            inputs=[TensorSpec(name=t.name, datatype=t.datatype) for t in model.inputs],
            outputs=[TensorSpec(name=t.name, datatype=t.datatype) for t in model.outputs],
            labels=list(model.labels),
            max_text_length=model.max_text_length or None,
            ready=model.ready,
        )


class ModelList(BaseModel):
    items: list[Model]
    next_cursor: None = None  # the catalog fits in one page


class PredictRequest(BaseModel):
    inputs: list[dict[str, Any]] = Field(
        min_length=1,
        max_length=MAX_PREDICT_ROWS,
        description=f"One object per row (1 to {MAX_PREDICT_ROWS}) keyed by the input names. "
        + INPUTS_DESCRIPTION,
        examples=[[{"text": "Lovely fabric, but it runs small."}]],
    )

    @field_validator("inputs")
    @classmethod
    def _bounded(cls, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [check_inputs(row) for row in rows]


class PredictResponse(BaseModel):
    model: str
    version: str
    outputs: list[dict[str, Any]] = Field(
        description="One per input, in order: {label, scores} | {embedding} | {value}.",
        examples=[
            [{"label": "positive", "scores": {"negative": 0.02, "neutral": 0.1, "positive": 0.88}}]
        ],
    )


def prediction_json(prediction: inference_types_pb2.Prediction) -> dict[str, Any]:
    which = prediction.WhichOneof("result")
    if which == "classification":
        return {
            "label": prediction.classification.label,
            "scores": dict(prediction.classification.scores),
        }
    if which == "embedding":
        return {"embedding": list(prediction.embedding.vector)}
    return {"value": prediction.regression.value}
