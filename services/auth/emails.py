"""Email addresses as identifiers: normalised once, validated loosely (delivery is not our job)."""

import re

from inferlane.common.errors import INVALID_INPUT, InvalidInput

_SHAPE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MAX_LENGTH = 320


def normalise(email: str) -> str:
    value = email.strip().lower()
    if len(value) > MAX_LENGTH or not _SHAPE.match(value):
        raise InvalidInput("that is not an email address", code=INVALID_INPUT)
    return value


# RFC 2606 reserves .invalid: no person can hold such an address, so none can register it.
SERVICE_DOMAIN = "service.invalid"


def service_account(name: str) -> str:
    return f"{name}@{SERVICE_DOMAIN}"


def is_service_account(email: str) -> bool:
    return email.endswith("@" + SERVICE_DOMAIN)
