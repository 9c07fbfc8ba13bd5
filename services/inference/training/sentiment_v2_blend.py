"""Scoring and tuning sentiment v2's blend (torch-free: export and calibration both use it).

The blend is what serving computes (runtime/text_v2.py):
    argmax(encoder_logits + tfidf_weight * tfidf_log_probabilities + bias)
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from services.inference.training.sentiment_v2_split import LABELS

WEIGHTS = np.round(np.arange(0.0, 1.51, 0.1), 2)
BIASES = np.round(np.arange(-2.0, 2.01, 0.1), 2)


def f1_table(y: NDArray[np.int64], pred: NDArray[np.integer[Any]]) -> NDArray[np.float64]:
    """Per-class F1 for many prediction rows at once: pred [k, n] -> [k, classes]."""
    out = []
    for c in range(len(LABELS)):
        tp = ((pred == c) & (y == c)).sum(axis=-1)
        fp = ((pred == c) & (y != c)).sum(axis=-1)
        fn = ((pred != c) & (y == c)).sum(axis=-1)
        out.append(2 * tp / np.maximum(2 * tp + fp + fn, 1))
    return np.stack(out, axis=-1)


def report(y: NDArray[np.int64], probs: NDArray[np.floating[Any]]) -> dict[str, Any]:
    pred = probs.argmax(axis=1)
    per = {}
    for c, label in enumerate(LABELS):
        tp = int(((pred == c) & (y == c)).sum())
        precision = tp / max(int((pred == c).sum()), 1)
        recall = tp / max(int((y == c).sum()), 1)
        f1 = 2 * precision * recall / max(precision + recall, 1e-12)
        per[label] = {
            "precision": round(precision, 4),
            "recall": round(recall, 4),
            "f1": round(f1, 4),
            "support": int((y == c).sum()),
        }
    return {
        "macro_f1": round(float(np.mean([v["f1"] for v in per.values()])), 4),
        "accuracy": round(float((pred == y).mean()), 4),
        "per_class": per,
    }


def bias_grid(values: NDArray[np.float64]) -> NDArray[np.float64]:
    """[k, 3] biases (negative, neutral, 0 for positive), smallest total |bias| first."""
    neg, neu = np.meshgrid(values, values, indexing="ij")
    biases = np.stack([neg.ravel(), neu.ravel(), np.zeros(neg.size)], axis=1)
    return biases[np.argsort(np.abs(biases).sum(axis=1), kind="stable")]


def tune_blend(
    y: NDArray[np.int64],
    enc: NDArray[np.float32],
    tfidf: NDArray[np.float64],
    weights: NDArray[np.float64] = WEIGHTS,
    biases: NDArray[np.float64] = BIASES,
) -> tuple[float, NDArray[np.float64], float]:
    """(TF-IDF weight, per-class bias with positive's at 0, macro-F1) maximising macro-F1 on
    y; ties go to the smallest weight, then the smallest bias (the grid's first maximum in
    that order), so the choice is reproducible."""
    grid = bias_grid(biases)
    best = (-1.0, 0.0, grid[0])
    for w in weights:
        z = enc + w * tfidf
        scores = np.empty(len(grid))
        for start in range(0, len(grid), 512):  # bounded memory for fine grids
            chunk = grid[start : start + 512]
            pred = (z[None] + chunk[:, None, :]).argmax(axis=2)
            scores[start : start + 512] = f1_table(y, pred).mean(axis=1)
        i = int(scores.argmax())
        if scores[i] > best[0] + 1e-12:
            best = (float(scores[i]), float(w), grid[i])
    return best[1], np.round(best[2], 4), best[0]
