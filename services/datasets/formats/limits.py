"""Sizes that bound memory; one place so the messages and the checks agree.

`Limits` are what one upload may hold, set per deployment (DATASETS_MAX_* settings); each
bounds the memory or time that one record can cost the parser. The constants below are how
the parser reads, not what an upload may hold.
"""

from dataclasses import dataclass

from .errors import UnreadableFile

KIB = 1024
MIB = 1024 * KIB

# Bytes read from disk at a time.
CHUNK = 64 * KIB
# Leading bytes that must be free of NUL and binary signatures.
HEAD = 8 * KIB
# Text (from the first non-blank character) that the delimiter sniffer looks at.
SAMPLE = 64 * KIB


@dataclass(frozen=True)
class Limits:
    """Defaults fit real data with room to spare; the field names are the settings' names."""

    # Arrays/objects inside one record. Parsers recurse per level, and protobuf's Struct
    # refuses more than 100, so a preview row must stay well under it.
    max_nesting_depth: int = 32
    # One physical line (a longer one would have to sit in memory whole).
    max_line_bytes: int = 8 * MIB
    # Values (scalars, arrays, objects) in one JSON record: memory per record is about
    # 100 bytes a value whatever their bytes, so this and not the line length bounds it.
    max_values_per_record: int = 100_000
    # Columns: per-column inference state is kept for each.
    max_columns: int = 10_000
    # One field (CSV cell or JSON string value), in UTF-8 bytes.
    max_value_bytes: int = 1 * MIB


def exceeded(where: str, what: str, limit: str, value: int) -> UnreadableFile:
    """The upload breaks `limit` (a Limits field): say where, what, and which setting."""
    setting = "DATASETS_" + limit.upper()
    whole_mib = limit.endswith("_bytes") and value % MIB == 0
    shown = f"{value // MIB} MiB" if whole_mib else f"{value:,}"
    return UnreadableFile(f"{where}: {what} (limit {shown}, setting {setting})")


DEFAULT_LIMITS = Limits()
