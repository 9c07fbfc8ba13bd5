"""A task's audit trail as the REST API shows it."""

import uuid
from datetime import datetime
from typing import Any

from google.protobuf.json_format import MessageToDict
from pydantic import BaseModel, ConfigDict, Field

from inferlane.tasks.v1 import tasks_types_pb2

from .common import utc
from .datasets import whole_numbers


class AuditEntry(BaseModel):
    """One thing that happened to a task."""

    event: str = Field(
        description="created, queued, chunk_started, chunk_finished, chunk_retried, "
        "chunk_dead_lettered, resumed, ready, error, cancelled, exported, webhook_delivered, "
        "expired."
    )
    occurred_at: datetime
    actor_id: uuid.UUID | None = Field(
        description="The user who did it; null for the platform's own steps."
    )
    details: dict[str, Any] = Field(
        description="By event: request_id, client (User-Agent), api_key_id, chunk, attempt, "
        "worker, rows, failed, reason, format, ..."
    )

    @classmethod
    def from_pb(cls, entry: tasks_types_pb2.AuditEntry) -> "AuditEntry":
        return cls(
            event=entry.event,
            occurred_at=utc(entry.occurred_at),
            actor_id=uuid.UUID(entry.actor_id) if entry.actor_id else None,
            details=whole_numbers(MessageToDict(entry.details)),
        )


class AuditPage(BaseModel):
    """One page of a task's audit trail, oldest first (newest last); pass `next_cursor`
    back as `?cursor=`."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "items": [
                        {
                            "event": "created",
                            "occurred_at": "2025-01-31T09:30:00Z",
                            "actor_id": "0b8f6f7e-2f5d-4c59-a1c3-6d1f0f8f2b3a",
                            "details": {"request_id": "4f0c", "client": "curl/8.5.0"},
                        },
                        {
                            "event": "chunk_finished",
                            "occurred_at": "2025-01-31T09:30:02Z",
                            "actor_id": None,
                            "details": {"chunk": 0, "attempt": 1, "worker": "w-1:7", "rows": 256},
                        },
                    ],
                    "next_cursor": None,
                }
            ]
        }
    )

    items: list[AuditEntry]
    next_cursor: str | None = Field(description="Opaque; null when there are no more items.")
