"""Files prepared for other batch APIs: one JSON line per request, `custom_id` beside a `body`.

OpenAI's Batch API (and the services that copy it) take lines like
`{"custom_id": "r-1", "method": "POST", "url": "/v1/embeddings", "body": {"input": "..."}}`.
The datasets service ingests such a file as columns `custom_id`, `method`, `url`, `body`; a
task over it reads the text from the body and carries `custom_id` into its results.
"""

from typing import Any

ID_COLUMN, BODY_COLUMN = "custom_id", "body"
# Where a request body keeps its text, by API: embeddings, classifiers, completions.
_TEXT_KEYS = ("input", "text", "prompt")


def is_batch_file(columns: list[str]) -> bool:
    return ID_COLUMN in columns and BODY_COLUMN in columns


def text_of(value: Any) -> Any:
    """A body's text; any other value as it is (the model's checks then judge it)."""
    if isinstance(value, dict):
        for key in _TEXT_KEYS:
            if isinstance(text := value.get(key), str):
                return text
    return value


def cell_text(value: Any) -> str | None:
    """A cell as text (a row id, an expected label): JSON numbers as written (7, not 7.0);
    None stays None."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
