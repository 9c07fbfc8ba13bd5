"""The model catalog: one descriptor (`inferlane.json`) beside each model in the repository.

Adding a model is adding a folder (config.pbtxt, version folders) plus this short descriptor.
"""

import json
from dataclasses import dataclass
from pathlib import Path

KINDS = ("text_classification", "text_embedding", "tabular_regression")
DESCRIPTOR = "inferlane.json"


@dataclass(frozen=True)
class Column:
    name: str
    datatype: str
    max_length: int | None = None


@dataclass(frozen=True)
class ModelSpec:
    name: str
    kind: str
    version: str
    description: str
    inputs: tuple[Column, ...]
    outputs: tuple[Column, ...]
    labels: tuple[str, ...]
    triton_inputs: dict[str, str]  # input column -> Triton tensor name
    triton_output: str

    @property
    def is_text(self) -> bool:
        return self.kind in ("text_classification", "text_embedding")

    @property
    def max_text_length(self) -> int:
        return max((c.max_length or 0 for c in self.inputs), default=0)


def _columns(raw: list[dict]) -> tuple[Column, ...]:
    return tuple(Column(c["name"], c["datatype"], c.get("max_length")) for c in raw)


def load(repository: Path) -> dict[str, ModelSpec]:
    """Every model folder with a descriptor; folders without one are not offered."""
    specs: dict[str, ModelSpec] = {}
    for path in sorted(repository.glob(f"*/{DESCRIPTOR}")):
        raw = json.loads(path.read_text())
        if raw["kind"] not in KINDS:
            raise ValueError(f"{path}: unknown kind {raw['kind']!r}")
        specs[path.parent.name] = ModelSpec(
            name=path.parent.name,
            kind=raw["kind"],
            version=str(raw["version"]),
            description=raw.get("description", ""),
            inputs=_columns(raw["inputs"]),
            outputs=_columns(raw["outputs"]),
            labels=tuple(raw.get("labels", ())),
            triton_inputs=dict(raw["triton"]["inputs"]),
            triton_output=raw["triton"]["output"],
        )
    return specs
