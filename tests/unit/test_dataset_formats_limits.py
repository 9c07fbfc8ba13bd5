"""Each upload limit refuses its shape with a code-02 message naming the setting, and a
record just inside the limit is still accepted."""

import json
from dataclasses import replace

import pytest

from services.datasets.formats import DEFAULT_LIMITS, Limits, UnreadableFile, profile

SMALL = Limits(
    max_nesting_depth=4,
    max_line_bytes=200,
    max_values_per_record=20,
    max_columns=3,
    max_value_bytes=50,
)


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def refused(tmp_path, content: str, limits: Limits = SMALL) -> str:
    path = tmp_path / "upload"
    path.write_text(content)
    with pytest.raises(UnreadableFile) as caught:
        profile(path, limits=limits)
    assert caught.value.code == "02"
    return caught.value.message


def accepted(tmp_path, content: str, limits: Limits = SMALL) -> int:
    path = tmp_path / "upload"
    path.write_text(content)
    return profile(path, limits=limits).rows


def test_defaults_are_the_settings_defaults():
    from services.datasets.settings import DatasetsSettings

    assert DatasetsSettings().limits() == DEFAULT_LIMITS


def test_nesting_depth_in_a_json_array(tmp_path):
    # The record object is level 1: three arrays inside it make four.
    assert accepted(tmp_path, json.dumps([{"a": 1}, {"a": json.loads(nested(3))}])) == 2
    message = refused(tmp_path, json.dumps([{"a": 1}, {"a": json.loads(nested(4))}]))
    assert message == (
        "array item at index 1: nested too deep (limit 4, setting DATASETS_MAX_NESTING_DEPTH)"
    )


def test_a_bare_nested_array_upload_is_refused_by_depth(tmp_path):
    message = refused(tmp_path, nested(100_000), DEFAULT_LIMITS)
    assert "setting DATASETS_MAX_NESTING_DEPTH" in message


def test_nesting_depth_in_json_lines(tmp_path):
    assert accepted(tmp_path, '{"a": [[["x"]]]}\n') == 1
    message = refused(tmp_path, '{"a": 1}\n{"a": [[[[1]]]]}\n')
    assert message == "line 2: nested too deep (limit 4, setting DATASETS_MAX_NESTING_DEPTH)"
    # Far past Python's recursion limit: refused, not a RecursionError.
    deep = '{"text": ' + nested(10_000) + "}\n"
    assert "DATASETS_MAX_NESTING_DEPTH" in refused(tmp_path, deep, DEFAULT_LIMITS)


def test_brackets_inside_strings_do_not_count_as_depth(tmp_path):
    assert accepted(tmp_path, json.dumps({"a": "[[[[[[{{{{"}) + "\n") == 1


def test_values_per_record(tmp_path):
    assert accepted(tmp_path, json.dumps([{"a": list(range(18))}])) == 1  # object+list+18
    message = refused(tmp_path, json.dumps([{"a": 0}, {"a": [[]] * 19}]))
    assert message == (
        "array item at index 1: too many values in one record"
        " (limit 20, setting DATASETS_MAX_VALUES_PER_RECORD)"
    )
    message = refused(tmp_path, json.dumps({"a": list(range(30))}) + "\n")
    assert message.startswith("line 1: too many values in one record")


def test_the_value_count_starts_again_at_each_record(tmp_path):
    records = [{"a": list(range(15))} for _ in range(10)]
    assert accepted(tmp_path, json.dumps(records)) == 10
    assert accepted(tmp_path, "\n".join(json.dumps(r) for r in records)) == 10


def test_line_length(tmp_path):
    message = refused(tmp_path, "text\nshort\n" + "x" * 201 + "\n")
    assert message == "line 3: the line is too long (limit 200, setting DATASETS_MAX_LINE_BYTES)"
    message = refused(tmp_path, json.dumps({"a": "x" * 45, "b": "y" * 190}) + "\n")
    assert message.startswith("line 1: the line is too long")


def test_columns(tmp_path):
    message = refused(tmp_path, "a,b,c,d\n1,2,3,4\n")
    assert message == "line 1: too many columns (limit 3, setting DATASETS_MAX_COLUMNS)"
    message = refused(tmp_path, json.dumps([{"a": 1, "b": 2}, {"c": 3, "d": 4}]))
    assert message.startswith("array item at index 1: too many columns")


def test_value_size(tmp_path):
    message = refused(tmp_path, "a,b\n1," + "x" * 51 + "\n")
    assert message.endswith("(limit 50, setting DATASETS_MAX_VALUE_BYTES)")
    message = refused(tmp_path, json.dumps({"a": "x" * 51}) + "\n")
    assert message == (
        "line 1: the value of 'a' is too large (limit 50, setting DATASETS_MAX_VALUE_BYTES)"
    )


def test_rows_of_a_stored_file_are_read_with_the_same_limits(tmp_path):
    from services.datasets.formats import Format, iter_rows

    path = tmp_path / "upload"
    path.write_text('{"a": [[1]]}\n')
    loose = replace(SMALL, max_nesting_depth=10)
    assert [r for _, r in iter_rows(path, Format.JSONL, limits=loose)] == [{"a": [[1]]}]
