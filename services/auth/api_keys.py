"""API key secrets: their shape, and what is stored of them (a sha256, never the secret).

Generated keys and configured service-account keys share both, so one lookup serves them.
"""

import hashlib
import secrets

PREFIX = "ilk_"  # lets the gateway tell a key from a JWT, and people recognise a leaked one
MIN_RANDOM_CHARS = 32  # after the prefix; generated keys have 43 (32 random bytes)
SHOWN_CHARS = 12  # the prefix kept in clear so that owners can tell their keys apart


def generate() -> str:
    return PREFIX + secrets.token_urlsafe(32)


def well_formed(secret: str) -> bool:
    return secret.startswith(PREFIX) and len(secret) - len(PREFIX) >= MIN_RANDOM_CHARS


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()
