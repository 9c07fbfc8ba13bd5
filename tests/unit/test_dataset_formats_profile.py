"""Dataset file formats: column types, the text column, and streaming with bounded memory."""

import json
import tracemalloc

import pytest

from services.datasets.formats import ColumnType, Format, profile

S, INT, F, B, D = (
    ColumnType.STRING,
    ColumnType.INTEGER,
    ColumnType.FLOAT,
    ColumnType.BOOLEAN,
    ColumnType.DATETIME,
)


def write(tmp_path, content):
    path = tmp_path / "upload"
    path.write_text(content, encoding="utf-8")
    return path


def types(path):
    return {column.name: column.type for column in profile(path).columns}


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["1", "-2", "+30", " 4 "], INT),
        (["1.5", "-2e3", ".5", "7."], F),
        (["1", "2.5", "3"], F),  # integer and float mix to float
        (["true", "FALSE", "True"], B),
        (["0", "1", "1"], INT),  # 0/1 are integers, not booleans
        (["2024-05-01", "2024-05-01T10:00:00Z", "2024-05-01 10:00:00"], D),
        (["2024-05-01T10:00:00.123+02:00", "2024-12-31T23:59"], D),
        (["2024-13-01"], S),  # shaped like a date, but no 13th month
        (["20240501"], INT),  # basic ISO format reads as a number
        (["1", "true"], S),
        (["1", "2024-05-01"], S),
        (["hello", "1"], S),
        (["nan", "inf"], S),
        (["", "", ""], S),  # all empty
        (["", "3", ""], INT),  # empty values are ignored
    ],
)
def test_csv_types(tmp_path, values, expected):
    path = write(tmp_path, "id,v\n" + "".join(f"{n},{v}\n" for n, v in enumerate(values)))
    assert types(path) == {"id": INT, "v": expected}


def test_types_settle_over_all_rows_not_a_sample(tmp_path):
    # Thousands of integers, then one float, then one word: decided by every row (batches too).
    lines = [f"{n},{n}" for n in range(5000)] + ["5000,2.5"] + [f"{n},{n}" for n in range(3000)]
    path = write(tmp_path, "id,v\n" + "\n".join(lines) + "\n")
    assert types(path) == {"id": INT, "v": F}
    path = write(tmp_path, "id,v\n" + "\n".join([*lines, "9,oops"]) + "\n")
    assert types(path) == {"id": INT, "v": S}


def test_json_types(tmp_path):
    records = [
        {"i": 1, "f": 1.5, "m": 1, "b": True, "d": "2024-05-01", "s": "x", "n": None, "q": "42"},
        {"i": -7, "f": 2.0, "m": 2.5, "b": False, "d": "2024-05-01T10:00:00Z", "s": 3, "q": "43"},
        {"i": None, "f": 1e10, "m": 3, "b": None, "d": None, "s": [1], "n": None},
    ]
    path = write(tmp_path, json.dumps(records))
    # "q" holds JSON strings: they stay strings even when they read as numbers.
    assert types(path) == {"i": INT, "f": F, "m": F, "b": B, "d": D, "s": S, "n": S, "q": S}
    path = write(tmp_path, "".join(json.dumps(r) + "\n" for r in records))
    assert profile(path).format is Format.JSONL
    assert types(path)["m"] is F


def test_text_column_by_name(tmp_path):
    path = write(tmp_path, "id,Review Text,notes\n1,ok," + "a long note " * 20 + "\n")
    assert profile(path).text_column == "Review Text"
    path = write(tmp_path, "message,text\nhi,yo\n")
    assert profile(path).text_column == "text"  # the earlier name in the preference list


def test_text_column_by_average_length(tmp_path):
    rows = [f"{n},short,{'words ' * (n + 5)},2024-05-01" for n in range(10)]
    path = write(tmp_path, "id,label,notes,when\n" + "\n".join(rows) + "\n")
    assert profile(path).text_column == "notes"


def test_text_column_must_be_a_string_column(tmp_path):
    path = write(tmp_path, "text,n\n1,2\n3,4\n")
    assert profile(path).text_column is None
    path = write(tmp_path, json.dumps([{"comment": 1, "other": "words here"}]))
    assert profile(path).text_column == "other"


def test_big_csv_is_streamed_with_bounded_memory(tmp_path):
    path = tmp_path / "big.csv"
    size = 20 * 1024 * 1024
    with path.open("w", encoding="utf-8") as out:
        out.write("id,score,flag,when,text\n")
        n = 0
        while out.tell() < size:
            text = f'review {n}, with a comma and ""quotes"" ' + "lorem ipsum " * 30
            out.write(f'{n},{n / 7:.3f},{n % 2 == 0},2024-05-01T10:00:00Z,"{text}"\n')
            n += 1
    tracemalloc.start()
    try:
        result = profile(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.rows == n
    assert [c.type for c in result.columns] == [INT, F, B, D, S]
    assert result.text_column == "text"
    # Streaming keeps a 64 KiB read buffer, one CSV batch for inference (bounded at 1 Mi chars),
    # the 20-row preview and per-column counters: about 2 MiB measured. Holding the file would
    # need at least its 20 MiB (as bytes or as str) and holding its rows several times more, so
    # 8 MiB leaves room for interpreter noise while still failing any whole-file read.
    assert peak < 8 * 1024 * 1024, f"peak {peak / 2**20:.1f} MiB"
