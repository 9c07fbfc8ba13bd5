"""The hot-path Struct converters (inferlane.common.structs) give what json_format's walkers
give, on generated JSON-like rows of every shape: nested objects and lists, nulls, booleans,
whole and fractional numbers, odd strings; and refuse what MessageToDict refuses."""

import math
import random
from typing import Any

import pytest
from google.protobuf import struct_pb2
from google.protobuf.json_format import MessageToDict, ParseDict

from inferlane.common import structs

ODD_TEXT = ["", " ", "tab\there", "\u00e9\u4e2d\U0001f600", "\x00nul", "line\nbreak", "1e5"]


def json_value(rng: random.Random, depth: int) -> Any:
    kind = rng.randrange(8 if depth < 4 else 5)
    if kind == 0:
        return None
    if kind == 1:
        return rng.random() < 0.5
    if kind == 2:
        return rng.choice([0, -1, 7, 2**53, -(2**60), 10**300])
    if kind == 3:
        return rng.choice([0.0, -0.0, 1e-300, 1.5, -2.25e17, 0.1 + 0.2, 1.7976931348623157e308])
    if kind == 4:
        return rng.choice(ODD_TEXT) + str(rng.random())
    if kind in (5, 6):
        return json_record(rng, depth + 1)
    return [json_value(rng, depth + 1) for _ in range(rng.randrange(4))]


def json_record(rng: random.Random, depth: int = 0) -> dict[str, Any]:
    return {rng.choice(ODD_TEXT) + str(i): json_value(rng, depth) for i in range(rng.randrange(6))}


@pytest.mark.parametrize("seed", range(300))
def test_rows_convert_as_json_format_converts_them(seed: int) -> None:
    record = json_record(random.Random(seed))
    expected = ParseDict(record, struct_pb2.Struct())
    assert structs.to_struct(record) == expected
    assert structs.to_dict(expected) == MessageToDict(expected)
    value = struct_pb2.Value(struct_value=expected)
    assert structs.to_python(value) == MessageToDict(value)


def test_an_unset_value_is_none() -> None:
    assert structs.to_python(struct_pb2.Value()) is None


@pytest.mark.parametrize("number", [math.inf, -math.inf, math.nan])
def test_numbers_json_cannot_hold_are_refused_like_message_to_dict_does(number: float) -> None:
    row = struct_pb2.Struct()
    row.update({"a": [number]})
    with pytest.raises(ValueError):
        MessageToDict(row)
    with pytest.raises(ValueError):
        structs.to_dict(row)
