"""The problem document (RFC 7807) as the OpenAPI document shows it, and `responses=` helpers."""

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from inferlane.common.errors import INVALID_INPUT, PROCESSING_FAILED, UNREADABLE_FILE

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_REF = "#/components/schemas/Problem"

_DESCRIPTIONS = {
    400: "The request is malformed (e.g. a JSON body that is not UTF-8).",
    401: "Missing or invalid credentials.",
    403: "Signed in, but not allowed (or the CSRF token is missing or wrong).",
    404: "No such resource, or it belongs to someone else.",
    409: "Conflicts with the current state (e.g. the email is taken).",
    410: "It existed but is no longer available (an expired share link: code `gone`; a task "
    "whose results retention deleted: code `expired`).",
    413: "The body is larger than the gateway's limit (GATEWAY_MAX_BODY_BYTES).",
    415: "The body must be JSON.",
    422: "The input is invalid (code 01).",
    429: "Too many requests; retry after the number of seconds in Retry-After.",
    503: "A service behind the gateway is unavailable, or too busy to start the call (code "
    "`overloaded`: nothing was done); retry after the number of seconds in Retry-After.",
}
_HEADERS: dict[int, dict[str, Any]] = {
    401: {
        "WWW-Authenticate": {
            "description": "The scheme to authenticate with: Bearer.",
            "schema": {"type": "string"},
        }
    },
    429: {
        "Retry-After": {
            "description": "Seconds to wait before trying again.",
            "schema": {"type": "integer"},
        }
    },
    503: {
        "Retry-After": {
            "description": "Seconds to wait before trying again.",
            "schema": {"type": "integer"},
        }
    },
}


class Problem(BaseModel):
    """An error, as ``application/problem+json``."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [
                {
                    "type": "about:blank",
                    "title": "Not Found",
                    "status": 404,
                    "detail": "no such API key",
                    "instance": "/api/v1/auth/api-keys/0b6a…",
                    "code": "not_found",
                    "request_id": "4f1c2b7e9a0d4c53",
                }
            ]
        },
    )

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    instance: str
    code: str = Field(
        description=f'Domain code ("{INVALID_INPUT}", "{UNREADABLE_FILE}", "{PROCESSING_FAILED}")'
        " or a short machine word."
    )
    request_id: str | None = None


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """`responses=` entries for these statuses, each an ``application/problem+json`` body."""
    return {
        status: {
            "description": _DESCRIPTIONS[status],
            "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": PROBLEM_REF}}},
            **({"headers": _HEADERS[status]} if status in _HEADERS else {}),
        }
        for status in statuses
    }


def add_problem_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """Put `Problem` into the document's components, where the `responses=` entries point,
    and the body-size 413 on every operation with a body that is not a streamed upload (the
    rule of the body-limit middleware)."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components.setdefault("Problem", Problem.model_json_schema(ref_template=PROBLEM_REF))
    for path in schema.get("paths", {}).values():
        for operation in path.values():
            content = operation.get("requestBody", {}).get("content", {})
            if content and "multipart/form-data" not in content:
                operation.setdefault("responses", {}).setdefault("413", problems(413)[413])
            if "application/json" in content:  # bytes that do not decode never reach a schema
                operation.setdefault("responses", {}).setdefault("400", problems(400)[400])
    return schema
