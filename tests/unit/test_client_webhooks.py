"""`verify_webhook`: the SDK's Standard Webhooks check agrees with the published test vector
and with the server's own signing, and refuses forged, stale or wrongly keyed deliveries."""

import json

import pytest

from inferlane.client import WebhookVerificationError, verify_webhook
from services.tasks.webhooks import signing

# The test vector of the Standard Webhooks specification (and its reference libraries).
VECTOR_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
VECTOR_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
VECTOR_TIMESTAMP = 1614265330
VECTOR_BODY = b'{"test": 2432232314}'
VECTOR_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="

NOW = 1_800_000_000
BODY = json.dumps({"type": "task.ready", "data": {"id": "t1", "status": "ready"}}).encode()


def vector_headers(signature: str = VECTOR_SIGNATURE) -> dict[str, str]:
    return {
        "webhook-id": VECTOR_ID,
        "webhook-timestamp": str(VECTOR_TIMESTAMP),
        "webhook-signature": signature,
    }


def signed_by_server(key: bytes, body: bytes = BODY, timestamp: int = NOW) -> dict[str, str]:
    return signing.headers(key, "msg_1", timestamp, body)


def test_the_published_test_vector_verifies():
    event = verify_webhook(VECTOR_SECRET, vector_headers(), VECTOR_BODY, now=VECTOR_TIMESTAMP)
    assert event == {"test": 2432232314}


def test_a_delivery_signed_by_the_server_verifies_with_its_secret():
    key = signing.new_key()
    headers = signed_by_server(key)
    assert verify_webhook(signing.show(key), headers, BODY, now=NOW + 60)["type"] == "task.ready"


def test_header_names_are_case_insensitive_and_a_text_body_is_accepted():
    key = signing.new_key()
    headers = {name.title(): value for name, value in signed_by_server(key).items()}
    assert verify_webhook(signing.show(key), headers, BODY.decode(), now=NOW)["data"]["id"] == "t1"


def test_a_tampered_body_is_refused():
    key = signing.new_key()
    tampered = BODY.replace(b"ready", b"error")
    with pytest.raises(WebhookVerificationError, match="signature"):
        verify_webhook(signing.show(key), signed_by_server(key), tampered, now=NOW)


def test_a_timestamp_older_than_five_minutes_is_refused_even_when_signed():
    key = signing.new_key()
    old = NOW - 5 * 60 - 1
    with pytest.raises(WebhookVerificationError, match="timestamp"):
        verify_webhook(signing.show(key), signed_by_server(key, timestamp=old), BODY, now=NOW)


def test_a_timestamp_from_the_future_is_refused():
    key = signing.new_key()
    ahead = NOW + 5 * 60 + 1
    with pytest.raises(WebhookVerificationError, match="timestamp"):
        verify_webhook(signing.show(key), signed_by_server(key, timestamp=ahead), BODY, now=NOW)


def test_another_secret_is_refused():
    headers = signed_by_server(signing.new_key())
    with pytest.raises(WebhookVerificationError, match="signature"):
        verify_webhook(signing.show(signing.new_key()), headers, BODY, now=NOW)


def test_any_one_of_several_signatures_in_the_header_will_do():
    key = signing.new_key()
    good = signing.signature(key, "msg_1", NOW, BODY)
    other = signing.signature(signing.new_key(), "msg_1", NOW, BODY)
    headers = signed_by_server(key) | {"webhook-signature": f"{other} v1a,bm90IGEgc2ln {good}"}
    assert verify_webhook(signing.show(key), headers, BODY, now=NOW)["type"] == "task.ready"


def test_several_signatures_none_of_them_matching_are_refused():
    headers = vector_headers(f"{VECTOR_SIGNATURE[:-4]}AAA= v1,bm90IGEgc2ln")
    with pytest.raises(WebhookVerificationError, match="signature"):
        verify_webhook(VECTOR_SECRET, headers, VECTOR_BODY, now=VECTOR_TIMESTAMP)


def test_an_unsigned_delivery_is_refused():
    headers = signing.headers(None, "msg_1", NOW, BODY)  # what a callback_url gets
    with pytest.raises(WebhookVerificationError, match="missing"):
        verify_webhook(signing.show(signing.new_key()), headers, BODY, now=NOW)


def test_a_secret_that_is_not_base64_is_refused():
    with pytest.raises(WebhookVerificationError, match="whsec_"):
        verify_webhook("whsec_not base64!", vector_headers(), VECTOR_BODY, now=VECTOR_TIMESTAMP)
