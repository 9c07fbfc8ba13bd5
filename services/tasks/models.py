"""What the tasks service needs to know about a model, and how its inputs are checked.

The same checks run when a single task is created (a bad input is a 422 at once) and on every
row a worker reads (a bad row is a failed row with code 01, the others go on).
"""

import math
import re
from dataclasses import dataclass, field
from typing import Any

from inferlane.common.errors import Conflict, NotFound
from inferlane.inference.v1 import inference_types_pb2 as types

CLASSIFICATION, EMBEDDING, REGRESSION = "classification", "embedding", "regression"
_KINDS = {
    types.MODEL_KIND_TEXT_CLASSIFICATION: CLASSIFICATION,
    types.MODEL_KIND_TEXT_EMBEDDING: EMBEDDING,
    types.MODEL_KIND_TABULAR_REGRESSION: REGRESSION,
}


@dataclass(frozen=True)
class ModelInfo:
    name: str
    kind: str
    inputs: list[str]
    labels: list[str]
    max_text_length: int
    default_version: str = ""  # the newest ready version
    versions: dict[str, bool] = field(default_factory=dict)  # version -> ready

    @property
    def is_text(self) -> bool:
        return self.kind in (CLASSIFICATION, EMBEDDING)

    @classmethod
    def from_pb(cls, model: types.Model) -> "ModelInfo":
        return cls(
            name=model.name,
            kind=_KINDS.get(model.kind, "unknown"),
            inputs=[t.name for t in model.inputs],
            labels=list(model.labels),
            max_text_length=model.max_text_length,
            default_version=model.version,
            versions={v.version: v.ready for v in model.versions},
        )

    def version(self, asked: str | None) -> str:
        """The version a task will run: the one asked for, or the default. Unknown: not
        found; known but not served: a conflict (a task would wait for it forever)."""
        if not asked:
            return self.default_version
        if asked not in self.versions:
            raise NotFound(f"model {self.name!r} has no version {asked!r}")
        if not self.versions[asked]:
            raise Conflict(
                f"version {asked} of {self.name!r} is not served now", code="version_not_served"
            )
        return asked


# A number as CSV writes it: "0.038", "-5", "1e-05" (ASCII digits only, and none of the
# extras Python's float() takes, like "1_000", "nan" or "\u0663"). Exports use it too.
DECIMAL = r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?"
_DECIMAL = re.compile(rf"\s*{DECIMAL}\s*", re.ASCII)  # " 7 " as well


def tabular_row(row: dict[str, Any]) -> dict[str, Any]:
    """A tabular model's row with CSV's numbers as numbers. CSV and TSV cells arrive as the
    text written, and without this every row of an uploaded CSV failed with "must be a
    number, got str". Other text stays as it is, for row_problem to name."""
    return {name: _number(value) for name, value in row.items()}


def _number(value: Any) -> Any:
    if isinstance(value, str) and _DECIMAL.fullmatch(value):
        return float(value)  # a huge exponent gives inf: row_problem refuses it by name
    return value


def row_problem(model: ModelInfo, row: dict[str, Any]) -> str | None:
    """Why `row` (model input name -> value) cannot go to the model; None when it can."""
    if model.is_text:
        (name,) = model.inputs
        value = row.get(name)
        if not isinstance(value, str):
            return f"{name} must be text, got {_kind(value)}"
        if not value.strip():
            return f"{name} is empty"
        if model.max_text_length and len(value) > model.max_text_length:
            return (
                f"{name} is {len(value)} characters; at most {model.max_text_length} are accepted"
            )
        return None
    for name in model.inputs:
        value = row.get(name)
        if isinstance(value, bool) or not isinstance(value, int | float):
            return f"{name} must be a number, got {_kind(value)}"
        if not math.isfinite(value):
            return f"{name} must be a finite number"
    return None


def _kind(value: Any) -> str:
    return "nothing" if value is None else type(value).__name__
