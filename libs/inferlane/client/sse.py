"""The mapping of the task stream's Server-Sent Events to `TaskEvent`s; httpx-sse parses
the stream (the WHATWG `text/event-stream` rules) on httpx's sync and async responses."""

import json

from httpx_sse import ServerSentEvent

from .models import Progress, Task, TaskEvent


def task_event(sse: ServerSentEvent) -> TaskEvent | None:
    """The event as a `TaskEvent`; None for one without data (browsers drop those too)."""
    if not sse.data:
        return None
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
