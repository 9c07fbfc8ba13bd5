"""Standard Webhooks signatures (https://www.standardwebhooks.com/): secrets are "whsec_" +
base64 of random bytes; a message is signed as "v1," + base64(HMAC-SHA256(key,
"{webhook-id}.{webhook-timestamp}.{body}"))."""

import base64
import hashlib
import hmac
import secrets

PREFIX = "whsec_"
KEY_BYTES = 24


def new_key() -> bytes:
    return secrets.token_bytes(KEY_BYTES)


def show(key: bytes) -> str:
    """The secret as the receiver configures it (what the standardwebhooks libraries take)."""
    return PREFIX + base64.b64encode(key).decode()


def parse(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix(PREFIX))


def signature(key: bytes, webhook_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{webhook_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def headers(key: bytes | None, webhook_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """The headers of one delivery; unsigned (no webhook-signature) without a key."""
    found = {
        "content-type": "application/json",
        "webhook-id": webhook_id,
        "webhook-timestamp": str(timestamp),
    }
    if key is not None:
        found["webhook-signature"] = signature(key, webhook_id, timestamp, body)
    return found
