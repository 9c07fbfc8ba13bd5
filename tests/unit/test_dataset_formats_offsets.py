"""The row-offset index: reading from any row with it gives exactly what the slow path gives."""

import codecs
import json
import random

import pytest

from services.datasets.formats import (
    ROWS_PER_CHECKPOINT,
    Format,
    RowIndex,
    UnreadableFile,
    iter_rows,
    profile,
)

SEEDS = range(40)
# Values meant to trip a byte counter or a resumed parser: quotes, delimiters, every line
# ending inside quotes, 2- and 4-byte UTF-8, whitespace, empties.
NASTY = ["", " ", "plain", "é", "naïve café", "🙂 ok", 'say "hi"', "a,b;c|d\te", "x\ny", "x\r\ny"]
NASTY += ["x\ry", "\n", " lead", "trail ", "1.5", "true", "2024-01-02"]


def write(tmp_path, data: bytes | str):
    path = tmp_path / "upload.bin"
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


def quote(value: str, delimiter: str) -> str:
    special = any(c in value for c in f'"\r\n{delimiter}') or value != value.strip()
    return '"' + value.replace('"', '""') + '"' if special or not value else value


def delimited(rng: random.Random, delimiter: str) -> bytes:
    """A random CSV/TSV file: BOM or not, LF/CRLF/CR (mixed), blank and whitespace lines."""
    width = rng.randint(2, 4)  # one column is its own test: it never sniffs as TSV
    names = [f"col{i}" for i in range(width)]
    records = [names] + [
        [f"r{row}"] + [rng.choice(NASTY) for _ in range(width - 1)]
        for row in range(rng.randint(1, 30))
    ]
    ending = rng.choice(["\n", "\r\n", "\r", None])  # None: a random ending per line
    text = ""
    for record in records:
        if rng.random() < 0.2:
            text += rng.choice(["\n", "\r\n", "  \n", "\t\r\n" if delimiter != "\t" else "\n"])
        text += delimiter.join(quote(value, delimiter) for value in record)
        text += ending or rng.choice(["\n", "\r\n", "\r"])
    if rng.random() < 0.3:
        text = text.rstrip("\r\n")  # no newline at the end of the file
    return _bom(rng) + text.encode()


def json_lines(rng: random.Random) -> bytes:
    lines = []
    for row in range(rng.randint(1, 30)):
        record = {"id": row}
        record.update({f"k{i}": rng.choice(NASTY) for i in range(rng.randint(0, 3))})
        lines.append(json.dumps(record, ensure_ascii=rng.random() < 0.5))
        if rng.random() < 0.25:
            lines.append(rng.choice(["", "   ", "\t"]))  # blank lines are not rows
    ending = rng.choice(["\n", "\r\n"])
    return _bom(rng) + (ending.join(lines) + rng.choice([ending, ""])).encode()


def json_array(rng: random.Random) -> bytes:
    records = [{"id": row, "text": rng.choice(NASTY)} for row in range(rng.randint(1, 30))]
    return _bom(rng) + json.dumps(records, indent=rng.choice([None, 2])).encode()


def _bom(rng: random.Random) -> bytes:
    return codecs.BOM_UTF8 if rng.random() < 0.3 else b""


def stored(index: RowIndex | None) -> RowIndex | None:
    """The index as it comes back from the database's jsonb column."""
    return None if index is None else RowIndex.from_json(json.loads(json.dumps(index.to_json())))


def assert_every_start_matches(path, expected_format: Format, every: int) -> RowIndex | None:
    found = profile(path, checkpoint_every=every)
    assert found.format is expected_format
    full = list(iter_rows(path, found.format))
    assert [row for row, _ in full] == list(range(found.rows))
    index = stored(found.row_index)
    for start in range(found.rows + 2):
        assert list(iter_rows(path, found.format, start=start, index=index)) == full[start:]
    return index


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("delimiter", [",", "\t", ";"])
def test_delimited_from_any_start(tmp_path, seed, delimiter):
    rng = random.Random(seed)
    path = write(tmp_path, delimited(rng, delimiter))
    expected = Format.TSV if delimiter == "\t" else Format.CSV
    every = rng.choice([1, 2, 3, 7])
    index = assert_every_start_matches(path, expected, every)
    assert index is not None and index.header is not None
    assert [point.row for point in index.checkpoints] == list(range(0, profile(path).rows, every))


@pytest.mark.parametrize("seed", SEEDS)
def test_json_lines_from_any_start(tmp_path, seed):
    rng = random.Random(seed)
    path = write(tmp_path, json_lines(rng))
    index = assert_every_start_matches(path, Format.JSONL, rng.choice([1, 2, 3, 7]))
    assert index is not None and index.header is None


@pytest.mark.parametrize("seed", SEEDS[:10])
def test_json_arrays_have_no_index_and_read_from_the_top(tmp_path, seed):
    path = write(tmp_path, json_array(random.Random(seed)))
    assert assert_every_start_matches(path, Format.JSON, 1) is None


def test_one_column_file_keeps_its_nul_delimiter_through_jsonb(tmp_path):
    # No delimiter in the header: parsed with NUL, which a jsonb string cannot hold.
    path = write(tmp_path, b'review\nHello, world\n\n"two\nlines"\nGood, bad\n')
    index = assert_every_start_matches(path, Format.CSV, 1)
    assert index is not None and index.delimiter == "\x00"


def test_a_narrowed_index_serves_its_start_and_falls_back_without_one(tmp_path):
    # The database hands out only checkpoint start // every, or null past the end.
    path = write(tmp_path, "id,t\n" + "".join(f'{i},"v\n{i}"\n' for i in range(10)))
    whole = profile(path, checkpoint_every=4).row_index
    assert whole is not None
    full = list(iter_rows(path, Format.CSV))
    as_json = whole.to_json()
    for start, narrowed in [(9, [as_json["checkpoints"][2]]), (5, [None]), (5, [])]:
        index = RowIndex.from_json({**as_json, "checkpoints": narrowed})
        assert list(iter_rows(path, Format.CSV, start=start, index=index)) == full[start:]


LARGE_ROWS = 4 * ROWS_PER_CHECKPOINT + 300
LARGE = {
    Format.CSV: "\ufeffid,text\r\n"
    + "".join(f'{i},"row {i}, é\r\nsecond line"\r\n' for i in range(LARGE_ROWS)),
    Format.JSONL: "".join(
        json.dumps({"id": i, "text": f"row {i} é"}) + "\n\n" for i in range(LARGE_ROWS)
    ),
}


@pytest.mark.parametrize("fmt", list(LARGE))
def test_a_late_chunk_never_reads_the_rows_before_its_checkpoint(tmp_path, fmt):
    path = write(tmp_path, LARGE[fmt])
    index = profile(path).row_index
    assert index is not None
    start, chunk = LARGE_ROWS - 256, 256
    expected = list(iter_rows(path, fmt, start=start))[:chunk]
    resume = index.resume(start)
    assert resume is not None and start - ROWS_PER_CHECKPOINT < resume.at.row <= start
    # Everything from the first row to the checkpoint becomes invalid UTF-8 and an unclosed
    # quote: any parse of it fails, so a read that succeeds never touched it.
    data = bytearray(path.read_bytes())
    first, checkpoint = index.checkpoints[0].offset, resume.at.offset
    data[first:checkpoint] = b'"' + b"\xff" * (checkpoint - first - 1)
    path.write_bytes(bytes(data))
    with pytest.raises(UnreadableFile):
        list(iter_rows(path, fmt, start=start))
    assert list(iter_rows(path, fmt, start=start, index=index))[:chunk] == expected
