"""Accuracy, per-label precision/recall/F1 and macro-F1 from a confusion matrix.

One definition for every place that scores a classifier: evaluating tasks (from counts taken
in SQL) and `make eval`. Macro-F1 averages the labels that occur, as expected or predicted,
like scikit-learn's default.
"""

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class LabelFigures:
    label: str
    precision: float
    recall: float
    f1: float
    support: int  # rows expected as this label


@dataclass(frozen=True)
class Figures:
    labels: list[str]
    matrix: list[list[int]]  # [expected][predicted], both in `labels` order
    evaluated: int
    accuracy: float
    macro_f1: float
    per_label: list[LabelFigures]


def figures(labels: Sequence[str], matrix: Sequence[Sequence[int]]) -> Figures:
    size = len(labels)
    rows = [list(map(int, row)) for row in matrix]
    if len(rows) != size or any(len(row) != size for row in rows):
        raise ValueError("the confusion matrix must be square, one row and column per label")
    total = sum(map(sum, rows))
    per_label: list[LabelFigures] = []
    occurring: list[float] = []
    for i, label in enumerate(labels):
        right = rows[i][i]
        expected = sum(rows[i])
        predicted = sum(row[i] for row in rows)
        precision = right / predicted if predicted else 0.0
        recall = right / expected if expected else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_label.append(LabelFigures(label, precision, recall, f1, expected))
        if expected or predicted:
            occurring.append(f1)
    right_total = sum(rows[i][i] for i in range(size))
    return Figures(
        labels=list(labels),
        matrix=rows,
        evaluated=total,
        accuracy=right_total / total if total else 0.0,
        macro_f1=sum(occurring) / len(occurring) if occurring else 0.0,
        per_label=per_label,
    )
