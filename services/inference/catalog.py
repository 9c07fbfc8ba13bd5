"""The model catalog: one descriptor (`inferlane.json`) beside each model in the repository,
and its versions: the numbered folders Triton serves (`version_policy: { all { } }`).

Adding a model is adding a folder (config.pbtxt, version folders) plus this short descriptor;
adding a version is adding a numbered folder, with its model card's figures in metrics.json.
Versions are read from the folders on every look, so the catalog follows the repository.
"""

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

KINDS = ("text_classification", "text_embedding", "tabular_regression")
DESCRIPTOR = "inferlane.json"
CARD = "metrics.json"


@dataclass(frozen=True)
class Column:
    name: str
    datatype: str
    max_length: int | None = None


@dataclass(frozen=True)
class Card:
    """A classifier version's figures on its evaluation split, from its metrics.json."""

    split: str
    macro_f1: float
    accuracy: float
    f1: dict[str, float]


@dataclass(frozen=True)
class Version:
    number: str
    card: Card | None


@dataclass(frozen=True)
class ModelSpec:
    name: str
    kind: str
    description: str
    inputs: tuple[Column, ...]
    outputs: tuple[Column, ...]
    labels: tuple[str, ...]
    triton_inputs: dict[str, str]  # input column -> Triton tensor name
    triton_output: str
    directory: Path

    @property
    def is_text(self) -> bool:
        return self.kind in ("text_classification", "text_embedding")

    @property
    def max_text_length(self) -> int:
        return max((c.max_length or 0 for c in self.inputs), default=0)


def _columns(raw: list[dict[str, Any]]) -> tuple[Column, ...]:
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
            description=raw.get("description", ""),
            inputs=_columns(raw["inputs"]),
            outputs=_columns(raw["outputs"]),
            labels=tuple(raw.get("labels", ())),
            triton_inputs=dict(raw["triton"]["inputs"]),
            triton_output=raw["triton"]["output"],
            directory=path.parent,
        )
    return specs


def versions(spec: ModelSpec) -> list[Version]:
    """The model's numbered version folders, newest first (Triton's numbering: integers)."""
    if not spec.directory.is_dir():
        return []
    numbers = sorted(
        (int(p.name) for p in spec.directory.iterdir() if p.is_dir() and p.name.isdigit()),
        reverse=True,
    )
    return [Version(str(n), read_card(spec.directory / str(n) / CARD)) for n in numbers]


def has_version(spec: ModelSpec, number: str) -> bool:
    """Whether `number` is one of `versions(spec)`, without listing the folder or reading a
    card: one stat, on every Predict that names a version (every task's call does)."""
    is_number = number.isascii() and number.isdigit() and str(int(number)) == number
    return is_number and (spec.directory / number).is_dir()


def read_card(path: Path) -> Card | None:
    """The figures of a metrics.json (as training writes it); None without one."""
    try:
        raw: dict[str, Any] = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(raw.get("macro_f1"), int | float):
        return None
    per_class = raw.get("per_class") or {}
    return Card(
        split=str(raw.get("split", "")),
        macro_f1=float(raw["macro_f1"]),
        accuracy=float(raw.get("accuracy", 0.0)),
        f1={label: float(v["f1"]) for label, v in per_class.items() if "f1" in v},
    )
