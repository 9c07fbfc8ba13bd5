"""File formats of datasets: detect, validate, profile and stream CSV, TSV, JSON and JSON Lines.

Pure Python, no I/O beyond reading the given file, bounded memory whatever its size.
"""

from .errors import UnreadableFile
from .model import Column, ColumnType, Format, Profile
from .profile import profile
from .rows import iter_rows

__all__ = [
    "Column",
    "ColumnType",
    "Format",
    "Profile",
    "UnreadableFile",
    "iter_rows",
    "profile",
]
