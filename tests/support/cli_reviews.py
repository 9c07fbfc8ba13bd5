"""Small review files and fresh accounts for the end-to-end tests (SDK, CLI, console)."""

import csv
import uuid
from pathlib import Path

from tests.support.task_calls import reviews_csv as made_up_reviews

REVIEWS = Path(__file__).resolve().parents[3] / "shared" / "data" / "reviews" / "dev.csv"
PASSWORD = "a long enough passphrase"


def reviews_csv(path: Path, rows: int = 30) -> Path:
    """The first `rows` labelled reviews of the shared dev set, as `text,label`; made-up
    reviews (`id,text`) where the shared data is absent."""
    if not REVIEWS.exists():
        path.write_bytes(made_up_reviews(rows, column="text"))
        return path
    with REVIEWS.open(newline="", encoding="utf-8") as source:
        reader = csv.DictReader(source)
        picked = [row for _, row in zip(range(rows), reader, strict=False)]
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fieldnames=["text", "label"])
        writer.writeheader()
        writer.writerows({"text": r["text"], "label": r["label"]} for r in picked)
    return path


def fresh_email(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}@example.com"
