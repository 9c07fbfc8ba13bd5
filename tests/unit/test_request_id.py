"""Request ids: a caller's sane id is kept, anything else is replaced."""

import pytest

from inferlane.common import request_id


@pytest.mark.parametrize(
    "good", ["abc-123", "4f1c2b7e9a0d4c53", "req_1.2:3", "3b7e4c1a-9f2d-4e8b-a6c5-0d1e2f3a4b5c"]
)
def test_a_plain_token_is_kept(good):
    assert request_id.accept_or_generate(good) == good


@pytest.mark.parametrize(
    "bad",
    [
        None,
        "",
        "x" * 129,
        "tab\there",
        "ünicode",
        "new\nline",
        'a"b<script>',
        "with space",
        "semi;colon",
        "../../etc",
        "a,b",
        "{json}",
    ],
)
def test_missing_or_unsafe_id_is_replaced(bad):
    generated = request_id.accept_or_generate(bad)
    assert generated != bad and len(generated) == 32 and generated.isalnum()
