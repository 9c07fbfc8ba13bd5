"""The hot-path Struct converters (inferlane.common.structs) give what json_format's walkers
give, on generated JSON-like rows of every shape: nested objects and lists, nulls, booleans,
whole and fractional numbers, odd strings; and refuse what MessageToDict refuses."""

import json
import math
import random
from typing import Any

import pytest
from google.protobuf import struct_pb2
from google.protobuf.json_format import MessageToDict, ParseDict

from inferlane.common import structs
from inferlane.common.fast_json import dumps_if_same

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


@pytest.mark.parametrize("seed", range(300))
def test_a_json_record_reads_back_as_its_struct_does_but_keeps_integers(seed: int) -> None:
    """`record_json` is the cheap form of a row: what it sends reads back as the `Struct`
    would (integers as integers), and what JSON would change (null, NaN, 10**30) it leaves to
    the `Struct`."""
    record = json_record(random.Random(seed))
    encoded = structs.record_json(record)
    through_struct = structs.to_dict(structs.to_struct(record))
    if encoded is None:
        assert "null" in json.dumps(record) or _has_big_int(record), record
        return
    back = structs.from_record_json(encoded)
    assert back == through_struct  # 7 == 7.0: the same numbers
    assert json.dumps(back, sort_keys=True) == json.dumps(record, sort_keys=True)  # 7 stays 7


def _has_big_int(value: Any) -> bool:
    if isinstance(value, dict):
        return any(_has_big_int(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_big_int(v) for v in value)
    return isinstance(value, int) and not -(2**63) <= value < 2**64


@pytest.mark.parametrize("number", [math.inf, -math.inf, math.nan])
def test_a_record_json_cannot_hold_goes_as_a_struct(number: float) -> None:
    assert structs.record_json({"a": [1.5, number]}) is None  # orjson would write null
    assert structs.record_json({"a": 2**64}) is None  # orjson refuses it
    assert structs.record_json({"a": None}) is None  # null is left to the Struct's rules
    assert structs.record_json({"a": 1, "b": "x"}) == b'{"a":1,"b":"x"}'


def test_a_json_record_must_be_an_object() -> None:
    with pytest.raises(ValueError):
        structs.from_record_json(b"[1, 2]")
    with pytest.raises(ValueError):
        structs.from_record_json(b"{bad")


def test_rows_as_json_follow_the_record_rule() -> None:
    rows = [{"a": 1, "b": "x"}, {"a": 2.5, "b": "y"}]
    assert structs.from_rows_json(structs.rows_json(rows) or b"") == rows
    assert structs.rows_json([*rows, {"a": math.inf}]) is None  # one row spoils the array
    assert structs.rows_json([{"a": None}]) is None
    for bad in (b'{"a": 1}', b"[1]", b"[{}", b"[" * 5000 + b"]" * 5000):
        with pytest.raises(ValueError):
            structs.from_rows_json(bad)


@pytest.mark.parametrize(
    "value",
    [{"a": 1.5}, [1, "x", True], {"n": None}, [math.nan], {"big": 2**70}, "null", 0.1 + 0.2],
)
def test_fast_json_is_orjson_only_where_it_reads_back_as_the_stdlib_json(value: Any) -> None:
    encoded = dumps_if_same(value)
    if encoded is not None:
        assert json.loads(encoded) == json.loads(json.dumps(value))
    else:  # a null, a NaN, an integer past 64 bits, or the word inside a string
        assert "null" in json.dumps(value) or "NaN" in json.dumps(value) or "big" in value
