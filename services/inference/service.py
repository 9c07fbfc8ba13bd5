"""Prediction rules: validate rows against the model's descriptor, build Triton tensors,
turn Triton's outputs into typed predictions. No gRPC here."""

import asyncio
from dataclasses import dataclass
from typing import Any

import numpy as np

from inferlane.common.errors import InvalidInput, NotFound
from services.inference.catalog import ModelSpec
from services.inference.triton import Triton


@dataclass(frozen=True)
class Classification:
    label: str
    scores: dict[str, float]


@dataclass(frozen=True)
class Embedding:
    vector: list[float]


@dataclass(frozen=True)
class Regression:
    value: float


Prediction = Classification | Embedding | Regression


@dataclass(frozen=True)
class ModelInfo:
    spec: ModelSpec
    ready: bool


class InferenceService:
    def __init__(self, catalog: dict[str, ModelSpec], triton: Triton, *, max_rows: int) -> None:
        self._catalog = catalog
        self._triton = triton
        self._max_rows = max_rows

    def spec(self, name: str) -> ModelSpec:
        try:
            return self._catalog[name]
        except KeyError:
            raise NotFound(f"no model named {name!r}") from None

    async def list_models(self) -> list[ModelInfo]:
        specs = list(self._catalog.values())
        ready = await asyncio.gather(*(self._triton.is_model_ready(s.name) for s in specs))
        return [ModelInfo(s, r) for s, r in zip(specs, ready, strict=True)]

    async def get_model(self, name: str) -> ModelInfo:
        spec = self.spec(name)
        return ModelInfo(spec, await self._triton.is_model_ready(name))

    async def predict(
        self, name: str, rows: list[dict[str, Any]], version: str | None = None
    ) -> list[Prediction]:
        spec = self.spec(name)
        if version and version != spec.version:
            raise NotFound(f"model {name!r} has no version {version!r}")
        if not rows:
            raise InvalidInput("give at least one input row", code="01")
        if len(rows) > self._max_rows:
            raise InvalidInput(f"at most {self._max_rows} rows per call", code="01")
        tensors = {
            spec.triton_inputs[c.name]: _column(spec, c.name, c.max_length, rows)
            for c in spec.inputs
        }
        output = await self._triton.infer(name, tensors, spec.triton_output)
        return [_prediction(spec, row) for row in output]


def _column(
    spec: ModelSpec, name: str, max_length: int | None, rows: list[dict[str, Any]]
) -> np.ndarray:
    values: list[list[Any]] = []
    for index, row in enumerate(rows):
        if name not in row or row[name] is None:
            raise InvalidInput(f"row {index}: missing input {name!r}", code="01")
        value = row[name]
        if spec.is_text:
            if not isinstance(value, str):
                raise InvalidInput(f"row {index}: {name!r} must be a string", code="01")
            if not value.strip():
                # A model answers blank text with a confident-looking guess: refuse it instead.
                raise InvalidInput(f"row {index}: {name!r} is empty or only spaces", code="01")
            if max_length is not None and len(value) > max_length:
                raise InvalidInput(
                    f"row {index}: {name!r} is longer than {max_length} characters", code="01"
                )
            values.append([value.encode("utf-8")])
        else:
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise InvalidInput(f"row {index}: {name!r} must be a number", code="01")
            values.append([float(value)])
    return np.array(values, dtype=object if spec.is_text else np.float32)


def _prediction(spec: ModelSpec, row: np.ndarray) -> Prediction:
    if spec.kind == "text_classification":
        scores = {label: float(p) for label, p in zip(spec.labels, row, strict=True)}
        return Classification(max(scores, key=scores.__getitem__), scores)
    if spec.kind == "text_embedding":
        return Embedding([float(v) for v in row])
    return Regression(float(row.reshape(-1)[0]))
