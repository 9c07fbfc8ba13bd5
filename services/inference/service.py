"""Prediction rules: validate rows against the model's descriptor, build Triton tensors,
turn Triton's outputs into typed predictions. No gRPC here."""

import asyncio
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from inferlane.common.errors import INVALID_INPUT, Conflict, InvalidInput, NotFound
from services.inference import catalog
from services.inference.catalog import Card, ModelSpec
from services.inference.merged_calls import MergedCalls
from services.inference.triton import Triton

# How long the default version (newest ready) of a model is remembered: a Predict without a
# version then costs no readiness calls to Triton.
DEFAULT_VERSION_TTL = 2.0


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
class VersionState:
    number: str
    ready: bool
    card: Card | None


@dataclass(frozen=True)
class ModelInfo:
    spec: ModelSpec
    versions: list[VersionState]  # newest first

    @property
    def ready(self) -> bool:
        return any(v.ready for v in self.versions)

    @property
    def default_version(self) -> str:
        """The newest ready version; the newest one while none is ready."""
        for v in self.versions:
            if v.ready:
                return v.number
        return self.versions[0].number if self.versions else ""


@dataclass(frozen=True)
class Predicted:
    version: str
    outputs: list[Prediction]


class InferenceService:
    def __init__(
        self,
        catalog: dict[str, ModelSpec],
        triton: Triton,
        *,
        max_rows: int,
        merge_calls: bool = True,
    ) -> None:
        self._catalog = catalog
        self._triton = triton
        # Concurrent calls for one model version share Triton requests (merged_calls.py).
        self._calls = MergedCalls(triton.infer, triton.limits if merge_calls else _no_limits)
        self._max_rows = max_rows
        self._defaults: dict[str, tuple[float, str]] = {}

    def spec(self, name: str) -> ModelSpec:
        try:
            return self._catalog[name]
        except KeyError:
            raise NotFound(f"no model named {name!r}") from None

    async def list_models(self) -> list[ModelInfo]:
        return list(await asyncio.gather(*(self._info(s) for s in self._catalog.values())))

    async def get_model(self, name: str) -> ModelInfo:
        return await self._info(self.spec(name))

    async def _info(self, spec: ModelSpec) -> ModelInfo:
        found = catalog.versions(spec)
        ready = await asyncio.gather(
            *(self._triton.is_model_ready(spec.name, v.number) for v in found)
        )
        info = ModelInfo(
            spec, [VersionState(v.number, r, v.card) for v, r in zip(found, ready, strict=True)]
        )
        self._defaults[spec.name] = (time.monotonic(), info.default_version)
        return info

    async def _version(self, spec: ModelSpec, asked: str | None) -> str:
        """The version to call: the one asked for if the repository has it, else the default."""
        if asked:
            if not catalog.has_version(spec, asked):
                raise NotFound(f"model {spec.name!r} has no version {asked!r}")
            return asked
        cached = self._defaults.get(spec.name)
        if cached is not None and time.monotonic() - cached[0] < DEFAULT_VERSION_TTL:
            return cached[1]
        return (await self._info(spec)).default_version

    async def predict(
        self, name: str, rows: list[dict[str, Any]], version: str | None = None
    ) -> Predicted:
        spec = self.spec(name)
        chosen = await self._version(spec, version)
        if not rows:
            raise InvalidInput("give at least one input row", code=INVALID_INPUT)
        if len(rows) > self._max_rows:
            raise InvalidInput(f"at most {self._max_rows} rows per call", code=INVALID_INPUT)
        tensors = {
            spec.triton_inputs[c.name]: _column(spec, c.name, c.max_length, rows)
            for c in spec.inputs
        }
        try:
            output = await self._calls.infer(name, tensors, spec.triton_output, chosen)
        except NotFound:
            # The folder is there but Triton does not serve it (failed to load, or added after
            # Triton started): known, so not a 404.
            raise Conflict(
                f"version {chosen} of {name!r} is not served now", code="version_not_served"
            ) from None
        return Predicted(chosen, [_prediction(spec, row) for row in output])


async def _no_limits(model: str, version: str) -> None:
    """Merging off: no call ever waits for another."""
    return None


def _column(
    spec: ModelSpec, name: str, max_length: int | None, rows: list[dict[str, Any]]
) -> NDArray[np.object_ | np.float32]:
    values: list[list[Any]] = []
    for index, row in enumerate(rows):
        if name not in row or row[name] is None:
            raise InvalidInput(f"row {index}: missing input {name!r}", code=INVALID_INPUT)
        value = row[name]
        if spec.is_text:
            if not isinstance(value, str):
                raise InvalidInput(f"row {index}: {name!r} must be a string", code=INVALID_INPUT)
            if not value.strip():
                # A model answers blank text with a confident-looking guess: refuse it instead.
                raise InvalidInput(
                    f"row {index}: {name!r} is empty or only spaces", code=INVALID_INPUT
                )
            if max_length is not None and len(value) > max_length:
                raise InvalidInput(
                    f"row {index}: {name!r} is longer than {max_length} characters",
                    code=INVALID_INPUT,
                )
            values.append([value.encode("utf-8")])
        else:
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise InvalidInput(f"row {index}: {name!r} must be a number", code=INVALID_INPUT)
            values.append([float(value)])
    return np.array(values, dtype=object if spec.is_text else np.float32)


def _prediction(spec: ModelSpec, row: NDArray[np.float32]) -> Prediction:
    if spec.kind == "text_classification":
        scores = {label: float(p) for label, p in zip(spec.labels, row, strict=True)}
        return Classification(max(scores, key=scores.__getitem__), scores)
    if spec.kind == "text_embedding":
        return Embedding([float(v) for v in row])
    return Regression(float(row.reshape(-1)[0]))
