"""Sizes that bound memory; one place so the messages and the checks agree."""

KIB = 1024
MIB = 1024 * KIB

# Bytes read from disk at a time.
CHUNK = 64 * KIB
# Leading bytes that must be free of NUL and binary signatures.
HEAD = 8 * KIB
# Text (from the first non-blank character) that the delimiter sniffer looks at.
SAMPLE = 64 * KIB
# One field (CSV cell or JSON string value), in UTF-8 bytes.
MAX_FIELD_BYTES = 1 * MIB
# One physical line: a longer one would have to sit in memory whole.
MAX_LINE = 8 * MIB
# Columns: per-column inference state is kept for each.
MAX_COLUMNS = 10_000
