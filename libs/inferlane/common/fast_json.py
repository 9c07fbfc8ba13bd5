"""orjson where it writes what the standard library's `json.dumps` writes.

orjson encodes several times faster, but not the same JSON for every value: it writes a NaN
or an infinity as `null` (the standard library writes `NaN`, which PostgreSQL and protobuf
refuse, so such a value fails loudly instead of turning into a null) and refuses an integer
past 64 bits. Callers on hot paths take orjson's bytes when they are the same, and their
slower form otherwise.
"""

from typing import Any

import orjson


def dumps_if_same(value: Any) -> bytes | None:
    """orjson's JSON for `value`, or None where it could differ from `json.dumps`: orjson
    refused it, or the JSON holds `null` anywhere (a NaN, an infinity, a real null, even the
    word inside a string: rare, and the slower form is correct for all of them)."""
    try:
        encoded = orjson.dumps(value)
    except orjson.JSONEncodeError:
        return None
    return None if b"null" in encoded else encoded
