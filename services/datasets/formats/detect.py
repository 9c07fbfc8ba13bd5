"""Decide the format from the content: the first non-blank character, then the delimiter.

`[` opens a JSON array, `{` a JSON Lines file; anything else is delimited text whose delimiter
is chosen by parsing a sample with each candidate and keeping the one that splits the header
and agrees with most rows (csv.Sniffer guesses from character frequencies and trips on quoted
fields; parsing with the real csv module handles quotes and embedded newlines for free).
"""

import csv
import io
from pathlib import Path

from .encoding import open_text
from .errors import UnreadableFile
from .limits import CHUNK, SAMPLE
from .model import Format

CANDIDATES = (",", "\t", ";", "|")
# A header without any candidate delimiter is one column. The csv module then needs a delimiter
# that never occurs: NUL is refused by the encoding layer, so a line is always one field.
ONE_COLUMN = "\x00"


def detect(path: Path) -> tuple[Format, str]:
    """Return the format and, for CSV/TSV, the delimiter to parse it with ("" for JSON)."""
    sample, truncated = _sample(path)
    if sample[0] == "[":
        return Format.JSON, ""
    if sample[0] == "{":
        return Format.JSONL, ""
    delimiter = sniff_delimiter(sample, truncated=truncated)
    return (Format.TSV if delimiter == "\t" else Format.CSV), delimiter


def _sample(path: Path) -> tuple[str, bool]:
    """Up to SAMPLE characters from the first non-blank one, and whether the file goes on."""
    with open_text(path) as text:
        while chunk := text.read(CHUNK):
            start = chunk.lstrip()
            if start:
                rest = text.read(SAMPLE + 1 - len(start)) if len(start) <= SAMPLE else ""
                sample = start + rest
                return sample[:SAMPLE], len(sample) > SAMPLE
    raise UnreadableFile("the file is empty")


def sniff_delimiter(sample: str, *, truncated: bool) -> str:
    best: tuple[tuple[float, int], str] | None = None
    for delimiter in CANDIDATES:
        counts = _field_counts(sample, delimiter, truncated=truncated)
        if not counts or counts[0] < 2:
            continue  # the header is not split by it
        header, rows = counts[0], counts[1:]
        agreeing = sum(count == header for count in rows) / len(rows) if rows else 1.0
        score = (agreeing, header)
        # Strictly better only: on a tie the earlier (more common) candidate wins.
        if best is None or score > best[0]:
            best = (score, delimiter)
    return best[1] if best else ONE_COLUMN


def _field_counts(sample: str, delimiter: str, *, truncated: bool) -> list[int]:
    counts: list[int] = []
    reader = csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter)
    try:
        counts.extend(len(fields) for fields in reader if any(f.strip() for f in fields))
    except csv.Error:
        pass  # a sample cut inside a quoted field: judge by the records before it
    else:
        if truncated and len(counts) > 1:
            counts.pop()  # the last record may be cut short by the sample's end
    return counts
