"""OpenAPI text of the task routes: their responses beyond the generated ones, and the
batch-file form."""

from typing import Any

from .batch_upload import (
    CALLBACK_URL_FIELD,
    COLUMN_FIELD,
    ID_COLUMN_FIELD,
    LABEL_COLUMN_FIELD,
    LIMIT_FIELD,
    MODEL_FIELD,
    VERSION_FIELD,
)
from .openapi_docs import UPLOAD_FILE_SCHEMA
from .schemas.problems import PROBLEM_MEDIA_TYPE, PROBLEM_REF, problems
from .schemas.tasks import (
    CALLBACK_URL_DESCRIPTION,
    ID_COLUMN_DESCRIPTION,
    LABEL_COLUMN_DESCRIPTION,
    MAX_COLUMN_CHARS,
    MAX_VERSION_CHARS,
    VERSION_DESCRIPTION,
    ExportFormat,
)
from .uploads import FILE_FIELD

EXPORT_MEDIA_TYPES: dict[ExportFormat, str] = {
    "csv": "text/csv; charset=utf-8",
    "jsonl": "application/x-ndjson",
}

ACCEPTED: dict[int | str, dict[str, Any]] = {
    202: {
        "description": "Accepted: the task is queued; follow `Location` or `links`.",
        "headers": {
            "Location": {"description": "The task's URL.", "schema": {"type": "string"}},
        },
    }
}
CONFLICT: dict[int | str, dict[str, Any]] = {
    409: {
        "description": "The task has already finished (ready, error or cancelled).",
        "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": PROBLEM_REF}}},
    }
}
NOT_SERVED: dict[int | str, dict[str, Any]] = {
    409: {
        "description": "The model version asked for is not served now (code `version_not_served`).",
        "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": PROBLEM_REF}}},
    }
}
QUEUE_FULL: dict[int | str, dict[str, Any]] = {
    429: {
        **problems(429)[429],
        "description": "Too many unfinished tasks, or too many requests; retry after the "
        "number of seconds in Retry-After.",
    }
}
CREATE_422 = (
    "The input is invalid (code 01): unknown model, column or label column, a text over 512 "
    "characters, an Idempotency-Key reused with another body."
)
EXPORT_OK: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "A page of results as JSON, or with `?format=` the whole export as a "
        "file (streamed).",
        "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/ResultPage"}},
            **{
                media.split(";")[0]: {"schema": {"type": "string", "format": "binary"}}
                for media in EXPORT_MEDIA_TYPES.values()
            },
        },
    }
}
SSE_EVENT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["event", "data"],
    "properties": {
        "event": {"type": "string", "enum": ["task", "progress", "error"]},
        "data": {
            "type": "string",
            "contentMediaType": "application/json",
            "description": "task: the Task; progress: {done, total, failed, rows_per_second, "
            "estimated_completion}; error: {code}.",
        },
        "id": {"type": "string"},
        "retry": {"type": "integer"},
    },
}
EVENTS_OK: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "Server-Sent Events: `task` (the task JSON) first and after every "
        "status change, `progress` (`{done, total, failed, rows_per_second, "
        "estimated_completion}`) while it runs; the stream ends "
        "after a terminal status.",
        # Before OpenAPI 3.2, the schema of an event stream describes one event.
        "content": {"text/event-stream": {"schema": SSE_EVENT_SCHEMA}},
    }
}


def with_422(statuses: dict[int | str, dict[str, Any]], detail: str) -> dict[int | str, Any]:
    answer = dict(statuses)
    answer[422] = {**answer[422], "description": detail}
    return dict(sorted(answer.items(), key=lambda item: str(item[0])))


BATCH_FILE_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": [FILE_FIELD, MODEL_FIELD],
                    "properties": {
                        MODEL_FIELD: {"type": "string", "examples": ["sentiment"]},
                        COLUMN_FIELD: {
                            "type": "string",
                            "description": "Column to read; default: the detected text column.",
                        },
                        LIMIT_FIELD: {
                            "type": "integer",
                            "minimum": 1,
                            "description": "Only the first rows (a sample run).",
                        },
                        VERSION_FIELD: {
                            "type": "string",
                            "maxLength": MAX_VERSION_CHARS,
                            "description": VERSION_DESCRIPTION,
                        },
                        LABEL_COLUMN_FIELD: {
                            "type": "string",
                            "maxLength": MAX_COLUMN_CHARS,
                            "description": LABEL_COLUMN_DESCRIPTION,
                        },
                        ID_COLUMN_FIELD: {
                            "type": "string",
                            "maxLength": MAX_COLUMN_CHARS,
                            "description": ID_COLUMN_DESCRIPTION,
                        },
                        CALLBACK_URL_FIELD: {
                            "type": "string",
                            "maxLength": 2048,
                            "description": CALLBACK_URL_DESCRIPTION,
                        },
                        FILE_FIELD: UPLOAD_FILE_SCHEMA,
                    },
                }
            }
        },
    }
}
