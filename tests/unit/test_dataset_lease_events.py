"""Which task events make the datasets service write a lease, and which cost it nothing.

The tasks service's ending events say which dataset the task read (empty for a single task);
an event from a producer older than that field leaves it unset, and must still release."""

import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy.dialects import postgresql

from inferlane.events.v1 import events_pb2
from services.datasets.leases import change
from services.tasks import messages
from services.tasks.domain import Progress, Status, Task, TaskType

NOW = datetime(2026, 12, 8, tzinfo=UTC)


def a_task(dataset_id: uuid.UUID | None) -> Task:
    return Task(
        id=uuid.uuid4(),
        owner_id=uuid.uuid4(),
        type=TaskType.BATCH if dataset_id else TaskType.SINGLE,
        model="sentiment",
        status=Status.READY,
        progress=Progress(1, 1, 0),
        input=None if dataset_id else {"text": "fine"},
        dataset_id=dataset_id,
        column="review" if dataset_id else None,
        row_limit=None,
        labels=[],
        input_columns=[],
        summary=None,
        error_code=None,
        error_message=None,
        created_at=NOW,
    )


ENDINGS = {
    messages.COMPLETED: lambda task: messages.completed(task, NOW),
    messages.FAILED: lambda task: messages.failed(task, "03", "boom", NOW),
    messages.CANCELLED: lambda task: messages.cancelled(task, NOW),
}


def sql(statement) -> str:
    return str(statement.compile(dialect=postgresql.dialect()))


def test_a_single_tasks_events_cost_no_write():
    task = a_task(None)
    assert change(messages.CREATED, messages.created(task, NOW)) is None
    for subject, event in ENDINGS.items():
        assert change(subject, event(task)) is None, subject


@pytest.mark.parametrize("subject", list(ENDINGS))
def test_a_batch_tasks_end_releases_its_lease(subject):
    task = a_task(uuid.uuid4())
    statement = change(subject, ENDINGS[subject](task))
    assert statement is not None and sql(statement).startswith(
        "DELETE FROM datasets.dataset_leases"
    )
    assert change(messages.CREATED, messages.created(task, NOW)) is not None  # and took one


@pytest.mark.parametrize(
    ("subject", "kind"),
    [
        (messages.COMPLETED, events_pb2.TaskCompleted),
        (messages.FAILED, events_pb2.TaskFailed),
        (messages.CANCELLED, events_pb2.TaskCancelled),
    ],
)
def test_an_ending_event_from_an_older_producer_still_releases(subject, kind):
    """Without the field nobody knows whether the task read a dataset: release to be safe."""
    older = kind(event_id=str(uuid.uuid4()), task_id=str(uuid.uuid4()))
    assert not older.HasField("dataset_id")
    statement = change(subject, older.SerializeToString())
    assert statement is not None and sql(statement).startswith("DELETE")
