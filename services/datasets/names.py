"""Client file names are for display only: sanitised here, never used as a path."""

import unicodedata

MAX_LENGTH = 255
FALLBACK = "dataset"


def display_name(filename: str) -> str:
    # Keep the last path component whatever separator the client used ("../../etc/passwd",
    # "C:\\Users\\me\\reviews.csv"), then drop control and format characters.
    base = filename.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C").strip().strip(".")
    return cleaned[:MAX_LENGTH] or FALLBACK
