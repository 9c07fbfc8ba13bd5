"""Models and predictions as the REST contract shows them."""

from typing import Any

from pydantic import BaseModel, Field, field_validator

from inferlane.inference.v1 import inference_types_pb2

from .inputs import INPUTS_DESCRIPTION, check_inputs

MAX_PREDICT_ROWS = 64
MAX_VERSION_CHARS = 32

_KINDS = {
    inference_types_pb2.MODEL_KIND_TEXT_CLASSIFICATION: "text_classification",
    inference_types_pb2.MODEL_KIND_TEXT_EMBEDDING: "text_embedding",
    inference_types_pb2.MODEL_KIND_TABULAR_REGRESSION: "tabular_regression",
}


class TensorSpec(BaseModel):
    name: str
    datatype: str


class CardMetrics(BaseModel):
    """A version's figures from its model card."""

    split: str = Field(examples=["dev"], description="The data they were measured on.")
    macro_f1: float = Field(examples=[0.7012])
    accuracy: float = Field(examples=[0.8421])
    f1: dict[str, float] = Field(
        description="F1 per label.",
        examples=[{"negative": 0.66, "neutral": 0.52, "positive": 0.93}],
    )


class ModelVersion(BaseModel):
    version: str = Field(examples=["2"])
    ready: bool = Field(description="Served by Triton now.")
    card: CardMetrics | None = Field(description="Null when the version has no model card.")

    @classmethod
    def from_pb(cls, version: inference_types_pb2.ModelVersion) -> "ModelVersion":
        card = version.card if version.HasField("card") else None
        return cls(
            version=version.version,
            ready=version.ready,
            card=CardMetrics(
                split=card.split, macro_f1=card.macro_f1, accuracy=card.accuracy, f1=dict(card.f1)
            )
            if card is not None
            else None,
        )


class Model(BaseModel):
    name: str = Field(examples=["sentiment"])
    kind: str = Field(examples=["text_classification"])
    version: str = Field(examples=["2"], description="The default version: the newest ready one.")
    inputs: list[TensorSpec]
    outputs: list[TensorSpec]
    labels: list[str] = Field(examples=[["negative", "neutral", "positive"]])
    max_text_length: int | None = Field(
        examples=[512], description="For text inputs, in characters."
    )
    ready: bool = Field(description="Loaded in Triton and able to answer now.")
    versions: list[ModelVersion] = Field(description="Every version, newest first.")

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
            versions=[ModelVersion.from_pb(v) for v in model.versions],
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
    version: str | None = Field(
        default=None,
        min_length=1,
        max_length=MAX_VERSION_CHARS,
        description="Version to run (see the model's `versions`); default: the newest ready one.",
        examples=["1"],
    )

    @field_validator("inputs")
    @classmethod
    def _bounded(cls, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [check_inputs(row) for row in rows]


class PredictResponse(BaseModel):
    model: str
    version: str = Field(description="The version that answered.")
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
