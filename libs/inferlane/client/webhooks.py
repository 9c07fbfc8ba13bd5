"""Verifying a webhook delivery the Standard Webhooks way (https://www.standardwebhooks.com/),
for receivers built on the SDK: `verify_webhook(secret, headers, body)` returns the event."""

import base64
import binascii
import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from typing import Any

from .errors import InferlaneError

SECRET_PREFIX = "whsec_"  # noqa: S105 - the format's prefix, not a secret
TOLERANCE_SECONDS = 5 * 60  # older or newer deliveries could be replays


class WebhookVerificationError(InferlaneError):
    """The delivery is not signed by this secret, or its timestamp is out of tolerance."""


def verify_webhook(
    secret: str,
    headers: Mapping[str, str],
    body: bytes | str,
    *,
    now: float | None = None,
    tolerance: int = TOLERANCE_SECONDS,
) -> Any:
    """The delivery's JSON event, once `webhook-signature` holds a `v1,` HMAC-SHA256 of
    "{webhook-id}.{webhook-timestamp}.{body}" under `secret` and the timestamp is within
    `tolerance` seconds of `now`; else raises WebhookVerificationError."""
    found = {name.lower(): value for name, value in headers.items()}
    raw = body.encode() if isinstance(body, str) else body
    webhook_id = found.get("webhook-id")
    timestamp = found.get("webhook-timestamp")
    signatures = found.get("webhook-signature")
    if not (webhook_id and timestamp and signatures):
        raise WebhookVerificationError("missing webhook-id, webhook-timestamp or signature")
    try:
        sent = int(timestamp)
    except ValueError:
        raise WebhookVerificationError("webhook-timestamp is not a number") from None
    if abs((time.time() if now is None else now) - sent) > tolerance:
        raise WebhookVerificationError("webhook-timestamp is too old or too new")
    expected = sign(_key(secret), webhook_id, sent, raw).encode()
    # Several space-separated signatures while a secret changes: any one will do.
    if not any(hmac.compare_digest(expected, given.encode()) for given in signatures.split()):
        raise WebhookVerificationError("no matching signature")
    return json.loads(raw)


def sign(key: bytes, webhook_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{webhook_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def _key(secret: str) -> bytes:
    try:
        return base64.b64decode(secret.removeprefix(SECRET_PREFIX), validate=True)
    except (binascii.Error, ValueError):
        raise WebhookVerificationError("the secret is not whsec_ + base64") from None
