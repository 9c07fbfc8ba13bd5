"""Sentiment v2's data split, without torch: the calibration step runs in a plain venv.

Train is split once, stratified and seeded: 85 % to fine-tune on, 15 % held out. The
fine-tune never reads the holdout (no early stopping: the last epoch is the model), so the
export and the calibration may choose on it. Dev is read only to report.
"""

from __future__ import annotations

import csv
import time
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

LABELS = ("negative", "neutral", "positive")
REPO = Path(__file__).resolve().parents[3]
DATA = REPO.parent / "shared" / "data" / "reviews"
WORK = REPO / ".build" / "sentiment-v2"
HOLDOUT_FRACTION = 0.15
SEED = 20261205


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def read_split(path: Path) -> tuple[list[str], NDArray[np.int64]]:
    """Texts and label indices (into LABELS) of a `text,label` CSV."""
    texts, indices = [], []
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            texts.append(row["text"])
            indices.append(LABELS.index(row["label"]))
    return texts, np.asarray(indices, dtype=np.int64)


def holdout_split(
    labels: NDArray[np.int64], seed: int
) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """(fit indices, holdout indices): HOLDOUT_FRACTION of each class, seeded."""
    rng = np.random.default_rng(seed)
    fit, hold = [], []
    for c in range(len(LABELS)):
        idx = rng.permutation(np.flatnonzero(labels == c))
        n = round(len(idx) * HOLDOUT_FRACTION)
        hold.append(idx[:n])
        fit.append(idx[n:])
    return np.sort(np.concatenate(fit)), np.sort(np.concatenate(hold))
