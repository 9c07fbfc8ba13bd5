"""A Server-Sent Events parser (the WHATWG `text/event-stream` rules), fed line by line so it
works on httpx's sync and async `iter_lines`, and the mapping of events to `TaskEvent`s."""

import json
from dataclasses import dataclass

from .models import Progress, Task, TaskEvent


@dataclass(frozen=True)
class ServerSentEvent:
    event: str
    data: str
    id: str | None = None


class SseDecoder:
    """Feed it lines without their end of line; it returns an event at each blank line."""

    def __init__(self) -> None:
        self._event = ""
        self._data: list[str] = []
        self._id: str | None = None

    def feed(self, line: str) -> ServerSentEvent | None:
        if not line:
            return self._dispatch()
        if line.startswith(":"):
            return None  # a comment: the server's keep-alive ping
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "event":
            self._event = value
        elif name == "data":
            self._data.append(value)
        elif name == "id" and "\0" not in value:
            self._id = value
        return None  # `retry` and unknown fields do not concern us

    def _dispatch(self) -> ServerSentEvent | None:
        if not self._data:
            self._event = ""
            return None
        event = ServerSentEvent(self._event or "message", "\n".join(self._data), self._id)
        self._event, self._data = "", []
        return event


def task_event(sse: ServerSentEvent) -> TaskEvent:
    if sse.event == "task":
        return TaskEvent(event="task", task=Task.model_validate_json(sse.data))
    if sse.event == "progress":
        return TaskEvent(event="progress", progress=Progress.model_validate_json(sse.data))
    try:
        body = json.loads(sse.data)
    except ValueError:
        body = {}
    code = body.get("code") if isinstance(body, dict) else None
    return TaskEvent(event=sse.event, error_code=str(code) if code else None)
