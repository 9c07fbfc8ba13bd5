"""The shape of an API key, one home for the auth service that issues and checks keys, the
gateway that tells a key from a JWT, and launchers that make a service account's key."""

import secrets

PREFIX = "ilk_"  # lets the gateway tell a key from a JWT, and people recognise a leaked one
RANDOM_BYTES = 32  # of a generated key: 43 URL-safe characters after the prefix
MIN_RANDOM_CHARS = 32  # after the prefix, for keys written into configuration
SHOWN_CHARS = 12  # the prefix kept in clear so that owners can tell their keys apart


def generate() -> str:
    return PREFIX + secrets.token_urlsafe(RANDOM_BYTES)


def is_api_key(credential: str) -> bool:
    """A key rather than a JWT; says nothing of whether it is valid."""
    return credential.startswith(PREFIX)


def well_formed(secret: str) -> bool:
    return is_api_key(secret) and len(secret) - len(PREFIX) >= MIN_RANDOM_CHARS
