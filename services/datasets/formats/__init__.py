"""File formats of datasets: detect, validate, profile and stream CSV, TSV, JSON and JSON Lines.

Pure Python, no I/O beyond reading the given file, bounded memory whatever its size.
"""

from .errors import UnreadableFile
from .limits import DEFAULT_LIMITS, Limits
from .model import Column, ColumnType, Format, Profile
from .offsets import ROWS_PER_CHECKPOINT, RowIndex
from .profile import profile
from .rows import iter_rows

__all__ = [
    "DEFAULT_LIMITS",
    "ROWS_PER_CHECKPOINT",
    "Column",
    "ColumnType",
    "Format",
    "Limits",
    "Profile",
    "RowIndex",
    "UnreadableFile",
    "iter_rows",
    "profile",
]
