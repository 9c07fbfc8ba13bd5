"""What a caller asks for when creating a task, and its fingerprint for Idempotency-Key."""

import hashlib
import json
import uuid
from dataclasses import asdict, dataclass
from typing import Any

from inferlane.common.errors import NotFound


@dataclass(frozen=True)
class SingleSpec:
    model: str
    input: dict[str, Any]
    version: str | None = None  # None: the model's default, resolved and recorded at creation
    ttl_seconds: int | None = None  # None: the server's default retention
    callback_url: str | None = None  # also gets the terminal event (webhooks)


@dataclass(frozen=True)
class BatchSpec:
    model: str
    dataset_id: str
    column: str | None
    limit: int | None
    # Upload-and-run names its dataset by content: a retried upload is a new dataset with
    # the same sha256, and must still match the first request.
    match_by_content: bool = False
    version: str | None = None
    label_column: str | None = None  # expected labels: the task evaluates the model
    id_column: str | None = None  # the caller's own row ids, carried into every result
    ttl_seconds: int | None = None  # None: the server's default retention
    callback_url: str | None = None  # also gets the terminal event (webhooks)


_OPTIONAL = frozenset({"version", "label_column", "id_column", "ttl_seconds", "callback_url"})


def fingerprint(spec: SingleSpec | BatchSpec, dataset_sha256: str | None = None) -> str:
    """Of the request as the caller meant it; `dataset_sha256` replaces the dataset id when
    the spec matches by content."""
    # Fields added later count only when set, so earlier requests keep their fingerprint.
    body = {k: v for k, v in asdict(spec).items() if v is not None or k not in _OPTIONAL}
    if isinstance(spec, BatchSpec) and spec.match_by_content:
        body["dataset_id"] = dataset_sha256
    canonical = json.dumps([type(spec).__name__, body], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def parse_id(value: str, what: str) -> uuid.UUID:
    """A malformed id names nothing that exists: not found, like someone else's id."""
    try:
        return uuid.UUID(value)
    except ValueError:
        raise NotFound(f"no such {what}") from None
