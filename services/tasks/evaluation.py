"""A batch task's evaluation: its predictions against the expected labels stored beside them.

Counted in SQL from the stored results, so a cancelled task, or one whose worker crashed and
was redelivered, is scored on exactly the rows it kept. Expected labels match the model's
labels case-insensitively after trimming; empty ones and ones outside the label set are
counted, not compared. Failed rows have no prediction and are not compared.
"""

from dataclasses import dataclass

from sqlalchemy import case, func, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from inferlane.common.classification_metrics import Figures, figures
from services.tasks.domain import Task
from services.tasks.tables import task_results

KNOWN, UNKNOWN, UNLABELLED = "known", "unknown", "unlabelled"
_BLANKS = " \t\r\n"


@dataclass(frozen=True)
class Evaluation:
    label_column: str
    figures: Figures
    unknown_labels: int
    unlabelled: int


async def evaluate(conn: AsyncConnection, task: Task) -> Evaluation | None:
    """None unless the task names a label column."""
    if not task.label_column:
        return None
    by_lower = {label.lower(): label for label in task.labels}
    r = task_results.c
    trimmed = func.btrim(r.expected_label, _BLANKS)
    lowered = func.lower(trimmed)
    known = lowered.in_(list(by_lower))
    kind = case(
        (func.coalesce(trimmed, "") == "", UNLABELLED), (known, KNOWN), else_=UNKNOWN
    ).label("kind")
    expected = case((known, lowered), else_=None).label("expected")
    stmt = (
        select(kind, expected, r.label, func.count().label("n"))
        .where(r.task_id == task.id, r.error_code.is_(None))
        # By position: the expressions carry bound parameters, which PostgreSQL would not
        # recognise as the same expressions in a GROUP BY.
        .group_by(text("1"), text("2"), text("3"))
    )
    index = {label: i for i, label in enumerate(task.labels)}
    matrix = [[0] * len(task.labels) for _ in task.labels]
    skipped = {UNKNOWN: 0, UNLABELLED: 0}
    for row in await conn.execute(stmt):
        if row.kind == KNOWN and row.label in index:
            matrix[index[by_lower[row.expected]]][index[row.label]] += int(row.n)
        elif row.kind in skipped:
            skipped[row.kind] += int(row.n)
    return Evaluation(
        task.label_column, figures(task.labels, matrix), skipped[UNKNOWN], skipped[UNLABELLED]
    )
