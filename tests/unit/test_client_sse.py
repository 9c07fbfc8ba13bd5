"""The SDK's reading of a task stream: httpx-sse parses it, `task_event` types the events."""

import json
import uuid

import httpx
from httpx_sse import EventSource, ServerSentEvent

from inferlane.client.sse import task_event


def decode(text: str) -> list[tuple[str, str, str]]:
    """(event, data, id) of each event of a `text/event-stream` body, as the SDK reads it."""
    response = httpx.Response(200, headers={"content-type": "text/event-stream"}, text=text)
    return [(e.event, e.data, e.id) for e in EventSource(response).iter_sse()]


def test_events_end_at_blank_lines_and_comments_are_skipped():
    events = decode(
        ': ping\n\nevent: progress\ndata: {"done": 1}\n\nevent: task\ndata: a\ndata: b\nid: 7\n\n'
    )
    assert events == [("progress", '{"done": 1}', ""), ("task", "a\nb", "7")]


def test_an_event_without_a_name_is_a_message_and_one_without_data_is_dropped():
    assert decode("data:x\n\n")[0][:2] == ("message", "x")
    assert task_event(ServerSentEvent("lonely")) is None


def test_task_and_progress_events_are_typed():
    task = {
        "id": str(uuid.uuid4()),
        "type": "batch",
        "model": "sentiment",
        "status": "ready",
        "progress": {"done": 2, "total": 2, "failed": 0},
        "summary": {"counts": {"positive": 2}, "percentages": {"positive": 100.0}, "failed": 0},
        "error": None,
        "created_at": "2025-01-31T09:30:00Z",
    }
    event = task_event(ServerSentEvent("task", json.dumps(task)))
    assert event is not None and event.task is not None and event.task.finished
    assert event.task.summary is not None and event.task.summary.counts == {"positive": 2}  # type: ignore[union-attr]
    progress = task_event(ServerSentEvent("progress", '{"done": 1, "total": 4, "failed": 0}'))
    assert progress is not None and progress.progress is not None
    assert progress.progress.fraction == 0.25
    broken = task_event(ServerSentEvent("error", '{"code": "unavailable"}'))
    assert broken is not None and broken.error_code == "unavailable"
