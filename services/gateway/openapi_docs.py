"""OpenAPI wording shared by the upload routes: their problems and the multipart body."""

from typing import Any

from .schemas.problems import PROBLEM_MEDIA_TYPE, PROBLEM_REF, problems
from .uploads import FILE_FIELD, NAME_FIELD

# Problems whose wording differs from the generic entries of `problems()`.
_DESCRIPTIONS = {
    410: "The share link has expired or was revoked (code gone).",
    413: "The file is over the size limit (code payload_too_large).",
    415: "The body must be multipart/form-data.",
    422: "The input is invalid (code 01), or the file is unreadable or unsupported (code 02): "
    "not UTF-8, binary, empty, a header without rows, ragged rows, duplicate column names.",
}


def documented(*statuses: int, upload: bool = False) -> dict[int | str, dict[str, Any]]:
    """`responses=` for these problems; `upload` words 415 and 422 for the multipart upload."""
    own = {410, 413} | ({415, 422} if upload else set())
    answer = problems(*(s for s in statuses if s not in own))
    for status in statuses:
        if status in own:
            answer[status] = {
                "description": _DESCRIPTIONS[status],
                "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": PROBLEM_REF}}},
            }
    return dict(sorted(answer.items(), key=lambda item: str(item[0])))


UPLOAD_FILE_SCHEMA: dict[str, Any] = {
    "type": "string",
    "format": "binary",
    "description": "CSV, TSV, JSON (array of objects) or JSONL in UTF-8, optionally "
    "gzip-compressed; the format is read from the content.",
}
UPLOAD_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": [FILE_FIELD],
                    "properties": {
                        NAME_FIELD: {
                            "type": "string",
                            "description": "Display name instead of the file name; send it "
                            "before the file.",
                        },
                        FILE_FIELD: UPLOAD_FILE_SCHEMA,
                    },
                }
            }
        },
    }
}
