"""Dataset file formats: detection by content and parsing of CSV, TSV, JSON and JSON Lines."""

import json

import pytest

from services.datasets.formats import Column, ColumnType, Format, iter_rows, profile


def write(tmp_path, content, name="upload.bin"):
    path = tmp_path / name
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


def rows(path, fmt, start=0):
    return list(iter_rows(path, fmt, start=start))


@pytest.mark.parametrize(
    ("delimiter", "fmt"),
    [(",", Format.CSV), (";", Format.CSV), ("\t", Format.TSV), ("|", Format.CSV)],
)
def test_delimiters(tmp_path, delimiter, fmt):
    lines = ["id,text,score", "1,good,4.5", "2,bad,1"]
    path = write(tmp_path, "\n".join(line.replace(",", delimiter) for line in lines) + "\n")
    result = profile(path)
    assert result.format is fmt
    assert result.rows == 2
    assert [c.name for c in result.columns] == ["id", "text", "score"]
    assert result.preview[0] == {"id": "1", "text": "good", "score": "4.5"}


def test_semicolon_csv_with_decimal_commas(tmp_path):
    # Commas inside values but not in the header: the semicolon is the delimiter.
    path = write(tmp_path, "name;price\nfoo;1,5\nbar;2,25\n")
    result = profile(path)
    assert result.format is Format.CSV
    assert rows(path, result.format) == [
        (0, {"name": "foo", "price": "1,5"}),
        (1, {"name": "bar", "price": "2,25"}),
    ]


def test_quoted_fields_with_delimiters_newlines_and_doubled_quotes(tmp_path):
    content = 'id,review,n\n1,"great, really\nsaid ""wow""\n\nend",3\n2,"",4\n3,plain,\n'
    path = write(tmp_path, content)
    result = profile(path)
    assert result.rows == 3
    assert rows(path, result.format) == [
        (0, {"id": "1", "review": 'great, really\nsaid "wow"\n\nend', "n": "3"}),
        (1, {"id": "2", "review": "", "n": "4"}),
        (2, {"id": "3", "review": "plain", "n": ""}),
    ]


def test_quoted_delimiter_does_not_fool_the_sniffer(tmp_path):
    # Many semicolons inside quoted values, commas as the real delimiter.
    path = write(tmp_path, 'a,b\n"x;y;z;w",1\n"p;q;r;s",2\n')
    assert [c.name for c in profile(path).columns] == ["a", "b"]


def test_bom_and_crlf(tmp_path):
    path = write(tmp_path, b'\xef\xbb\xbftext,n\r\nhello,1\r\n"two\r\nlines",2\r\n')
    result = profile(path)
    assert [c.name for c in result.columns] == ["text", "n"]
    assert rows(path, result.format) == [
        (0, {"text": "hello", "n": "1"}),
        (1, {"text": "two\r\nlines", "n": "2"}),
    ]


def test_blank_lines_are_not_rows(tmp_path):
    path = write(tmp_path, "\n\na,b\n1,2\n\n3,4\n\n")
    assert profile(path).rows == 2


def test_one_column_file_that_looks_like_csv(tmp_path):
    # Commas in the values but none in the header: one column, whole lines as values.
    path = write(tmp_path, "review\nHello, world\nGood, bad, ugly\n")
    result = profile(path)
    assert result.format is Format.CSV
    assert result.columns == [Column("review", ColumnType.STRING)]
    assert [r["review"] for _, r in rows(path, result.format)] == [
        "Hello, world",
        "Good, bad, ugly",
    ]


def test_one_column_without_any_delimiter(tmp_path):
    path = write(tmp_path, "text\nfirst\nsecond\n")
    result = profile(path)
    assert (result.format, result.rows, result.text_column) == (Format.CSV, 2, "text")


def test_json_array(tmp_path):
    records = [{"id": 1, "text": "a", "score": 0.5}, {"id": 2, "extra": True}]
    path = write(tmp_path, json.dumps(records, indent=2), name="data.csv")  # name is ignored
    result = profile(path)
    assert result.format is Format.JSON
    assert [c.name for c in result.columns] == ["id", "text", "score", "extra"]
    # Missing keys are None in the preview; non-integers come back as float, not Decimal.
    assert result.preview[0] == {"id": 1, "text": "a", "score": 0.5, "extra": None}
    assert type(result.preview[0]["score"]) is float
    assert rows(path, result.format) == [(0, records[0]), (1, records[1])]


def test_jsonl_with_blank_lines(tmp_path):
    path = write(tmp_path, '\n{"text": "a", "n": 1}\n\n  \n{"text": "b", "n": 2.5}\n\n')
    result = profile(path)
    assert (result.format, result.rows) == (Format.JSONL, 2)
    assert rows(path, result.format) == [(0, {"text": "a", "n": 1}), (1, {"text": "b", "n": 2.5})]


def test_iter_rows_columns_fill_missing_keys(tmp_path):
    path = write(tmp_path, '{"a": 1}\n{"b": 2}\n')
    assert list(iter_rows(path, Format.JSONL, columns=["a", "b"])) == [
        (0, {"a": 1, "b": None}),
        (1, {"a": None, "b": 2}),
    ]


CONTENTS = {
    Format.CSV: "id,text\n" + "".join(f'{i},"row {i}, with\nnewline"\n' for i in range(30)),
    Format.TSV: "id\ttext\n" + "".join(f"{i}\trow {i}\n" for i in range(30)),
    Format.JSON: json.dumps([{"id": i, "text": f"row {i}", "x": i / 2} for i in range(30)]),
    Format.JSONL: "".join(json.dumps({"id": i, "text": f"row {i}"}) + "\n\n" for i in range(30)),
}


@pytest.mark.parametrize("fmt", list(CONTENTS))
@pytest.mark.parametrize("start", [0, 1, 17, 29, 30, 100])
def test_iter_rows_from_start_is_the_tail(tmp_path, fmt, start):
    path = write(tmp_path, CONTENTS[fmt])
    assert profile(path).format is fmt
    full = rows(path, fmt)
    assert [index for index, _ in full] == list(range(30))
    assert rows(path, fmt, start=start) == full[start:]


def test_preview_is_the_first_rows(tmp_path):
    path = write(tmp_path, CONTENTS[Format.TSV])
    result = profile(path, preview_rows=5)
    assert result.preview == [record for _, record in rows(path, Format.TSV)[:5]]
    assert len(profile(path).preview) == 20
