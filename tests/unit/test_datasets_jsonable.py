"""Rows the datasets service streams are JSON values: a flat row of JSON scalars passes as it
is (the fast path every CSV row takes), and anything else a parser gives (a Decimal from a
JSON Lines number, a date, a nested structure holding either) is converted as before."""

import datetime
from decimal import Decimal

from services.datasets.service import _jsonable


def test_a_flat_row_of_json_scalars_passes_unchanged() -> None:
    row = {"text": "ok", "n": 3, "x": 0.5, "flag": True, "missing": None}
    assert _jsonable(row) is row


def test_other_scalars_become_floats_or_strings_at_any_depth() -> None:
    day = datetime.date(2026, 12, 7)
    row = {"price": Decimal("1.25"), "day": day, "nested": {"a": [Decimal("2"), day]}}
    assert _jsonable(row) == {
        "price": 1.25,
        "day": "2026-12-07",
        "nested": {"a": [2.0, "2026-12-07"]},
    }
