"""Email addresses as identifiers: normalised once, validated loosely (delivery is not our job)."""

import re

from inferlane.common.errors import InvalidInput

_SHAPE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MAX_LENGTH = 320


def normalise(email: str) -> str:
    value = email.strip().lower()
    if len(value) > MAX_LENGTH or not _SHAPE.match(value):
        raise InvalidInput("that is not an email address", code="01")
    return value
