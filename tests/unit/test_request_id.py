"""Request ids: a caller's sane id is kept, anything else is replaced."""

import pytest

from inferlane.common import request_id


def test_printable_id_is_kept():
    assert request_id.accept_or_generate("abc-123") == "abc-123"


@pytest.mark.parametrize("bad", [None, "", "x" * 129, "tab\there", "ünicode", "new\nline"])
def test_missing_or_unsafe_id_is_replaced(bad):
    generated = request_id.accept_or_generate(bad)
    assert generated != bad and len(generated) == 32 and generated.isalnum()
