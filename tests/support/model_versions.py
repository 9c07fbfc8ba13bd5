"""A temporary model repository holding the shipped sentiment model as two versions."""

import json
import shutil
from pathlib import Path

from tools.devstack.embedded import MODEL_REPOSITORY

SHIPPED = MODEL_REPOSITORY / "sentiment"
# The card written into version 2: figures that differ from version 1's.
CARD_V2 = {
    "split": "dev",
    "macro_f1": 0.7123,
    "accuracy": 0.8456,
    "per_class": {
        "negative": {"f1": 0.7},
        "neutral": {"f1": 0.55},
        "positive": {"f1": 0.88},
    },
}


def two_version_repository(root: Path) -> Path:
    """sentiment/1 and sentiment/2, both the shipped v1 files (links), 2 with its own card."""
    repository = root / "model_repository"
    model = repository / "sentiment"
    model.mkdir(parents=True)
    for name in ("config.pbtxt", "inferlane.json"):
        shutil.copy(SHIPPED / name, model / name)
    for shared in MODEL_REPOSITORY.glob("*.onnx"):  # encoder layers shared at the root
        (repository / shared.name).symlink_to(shared)
    for version in ("1", "2"):
        folder = model / version
        folder.mkdir()
        for item in (SHIPPED / "1").iterdir():
            if item.name != "metrics.json" or version == "1":
                (folder / item.name).symlink_to(item)
    (model / "2" / "metrics.json").write_text(json.dumps(CARD_V2))
    return repository
