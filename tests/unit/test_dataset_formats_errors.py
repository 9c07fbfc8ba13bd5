"""Dataset file formats: every rejection is UnreadableFile (code 02) saying what and where."""

import json

import pytest

from inferlane.common.errors import InvalidInput
from services.datasets.formats import UnreadableFile, profile


def rejection(tmp_path, content):
    path = tmp_path / "upload"
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    with pytest.raises(UnreadableFile) as caught:
        profile(path)
    assert caught.value.code == "02"
    assert isinstance(caught.value, InvalidInput)
    return caught.value.message


@pytest.mark.parametrize("content", [b"", b"   \n\t\r\n  ", b"\xef\xbb\xbf", b"\xef\xbb\xbf\n\n"])
def test_empty(tmp_path, content):
    assert rejection(tmp_path, content) == "the file is empty"


@pytest.mark.parametrize(
    "content",
    [
        b"\x89PNG\r\n\x1a\n" + b"rest",
        b"PK\x03\x04" + b"zip",
        b"%PDF-1.7\n",
        b"\x1f\x8b\x08\x00",
        b"a,b\n1,\x002\n",
    ],
)
def test_binary(tmp_path, content):
    assert "looks like a binary file, not CSV/TSV/JSON/JSONL" in rejection(tmp_path, content)


def test_nul_past_the_head_names_its_byte(tmp_path):
    content = b"a,b\n" + b"1,2\n" * 3000 + b"3,\x00\n"
    message = rejection(tmp_path, content)
    assert message.startswith(f"byte {4 + 12000 + 2:,} (line 3002) is a NUL")


def test_latin1_names_byte_and_line(tmp_path):
    message = rejection(tmp_path, "name,city\nJosé,Zürich\n".encode("latin-1"))
    assert message == "byte 13 (line 2) is not valid UTF-8 (0xE9); save the file as UTF-8"


def test_invalid_utf8_deep_in_the_file(tmp_path):
    # Past the first chunks, and after a multi-byte character split across chunk reads.
    head = "a,b\n" + "é,1\n" * 40000
    content = head.encode() + b"x,\xff\n"
    message = rejection(tmp_path, content)
    assert message.startswith(f"byte {len(head.encode()) + 2:,} (line 40002) is not valid UTF-8")


def test_utf16(tmp_path):
    assert "UTF-16" in rejection(tmp_path, "a,b\n1,2\n".encode("utf-16"))
    message = rejection(tmp_path, "a,b\n1,2\n".encode("utf-16-le"))
    assert message.startswith("byte 1 (line 1) is not valid UTF-8") and "UTF-16" in message


def test_ragged_rows_name_the_line_where_the_record_starts(tmp_path):
    content = 'a,b,c\n1,2,3\n4,"multi\nline",6\n\n7,8,9,10\n'
    assert rejection(tmp_path, content) == "line 6: expected 3 fields, found 4"
    assert rejection(tmp_path, "a,b,c\n1,2,3\n4,5\n") == "line 3: expected 3 fields, found 2"


def test_header_problems(tmp_path):
    assert rejection(tmp_path, "a,b,,d\n1,2,3,4\n") == "column 3 has no name"
    message = rejection(tmp_path, "id,text,x,y,text\n1,2,3,4,5\n")
    assert message == "duplicate column name 'text' (columns 2 and 5)"
    assert rejection(tmp_path, "a,b\n") == "the header has no rows under it"
    assert rejection(tmp_path, "a,b\n\n\n") == "the header has no rows under it"


def test_quote_never_closed(tmp_path):
    assert (
        rejection(tmp_path, 'a,b\n1,2\n3,"open\n4,5\n') == "line 3: a quoted field is never closed"
    )


def test_text_after_a_closing_quote(tmp_path):
    message = rejection(tmp_path, 'a,b\n1,2\n3,"x"y\n')
    assert message.startswith("line 3: text follows a closing quote")
    # Also in a one-column file, where no delimiter was found.
    message = rejection(tmp_path, 'review\nfine\n"Great" she said\n')
    assert message.startswith("line 3: text follows a closing quote")


def test_field_over_one_mib(tmp_path):
    big = "é" * (600 * 1024)  # 600 Ki characters, 1.2 MiB of UTF-8
    message = rejection(tmp_path, f"id,text\n1,short\n2,{big}\n")
    limit = "(limit 1 MiB, setting DATASETS_MAX_VALUE_BYTES)"
    assert message == f"line 3: the value of 'text' is too large {limit}"
    message = rejection(tmp_path, 'id,text\n1,"' + "x" * (1024 * 1024 + 1) + '"\n')
    assert message == f"line 2: a field is too large (or a quote is never closed) {limit}"
    records = [{"text": "ok"}, {"text": "x" * (1024 * 1024 + 1)}]
    message = rejection(tmp_path, json.dumps(records))
    assert message == f"array item at index 1: the value of 'text' is too large {limit}"


def test_json_array_problems(tmp_path):
    message = rejection(tmp_path, '[{"a": 1}, {"a": 2}, 3]')
    assert message == "array item at index 2: not a JSON object (found a number)"
    assert rejection(tmp_path, "[]") == "the JSON array is empty: there are no rows"
    assert rejection(tmp_path, "[{}]") == "the JSON array has no keys in its objects"
    message = rejection(tmp_path, '[\n  {"a": 1},\n  {"a": 2,}\n]\n')
    assert message.startswith("line 3: invalid JSON")
    assert "the JSON ends before it is complete" in rejection(tmp_path, '[{"a": 1},\n')
    message = rejection(tmp_path, '[{"a": 1}]\n\n trailing')
    assert message == "line 3: invalid JSON (trailing garbage)"


def test_json_syntax_error_deep_in_a_big_array(tmp_path):
    # Far past the first 64 KiB chunk: the line is still exact.
    lines = ["["] + [json.dumps({"id": i, "text": "x" * 50}) + "," for i in range(5000)]
    lines += ['{"id": nope}', "]"]
    message = rejection(tmp_path, "\n".join(lines))
    assert message.startswith("line 5002: invalid JSON")


def test_jsonl_problems(tmp_path):
    assert (
        rejection(tmp_path, '{"a": 1}\n\n[1, 2]\n') == "line 3: not a JSON object (found an array)"
    )
    assert rejection(tmp_path, '{"a": 1}\n{"a": \n').startswith("line 2: not valid JSON")
    assert rejection(tmp_path, '{"a": NaN}\n').startswith("line 1: not valid JSON")
    assert rejection(tmp_path, '{"": 1}\n') == "line 1: a key is empty"


def test_single_pretty_printed_object(tmp_path):
    message = rejection(tmp_path, json.dumps({"a": 1, "b": [1, 2]}, indent=2))
    assert message == "a single JSON object is not a dataset; use an array or JSON Lines"
