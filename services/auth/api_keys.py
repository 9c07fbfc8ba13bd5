"""What is stored of an API key secret: a sha256, never the secret.

Generated keys and configured service-account keys share it (and their shape, in
inferlane.common.auth.api_key_shape), so one lookup serves them.
"""

import hashlib


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()
