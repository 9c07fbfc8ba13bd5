"""A task's audit trail: who did what to it, and what the platform did, oldest first."""

import uuid

from fastapi import APIRouter

from inferlane.tasks.v1 import tasks_service_pb2 as pb

from ..deps import CurrentUser, Cursor, Limit, TasksStub
from ..schemas.audit import AuditEntry, AuditPage
from ..schemas.common import DEFAULT_LIMIT, MAX_LIMIT
from ..schemas.problems import problems
from ..security import RPC_TIMEOUT

router = APIRouter(prefix="/tasks", tags=["tasks"])


@router.get("/{task_id:uuid}/audit", responses=problems(401, 404, 422))
async def task_audit(
    task_id: uuid.UUID,
    caller: CurrentUser,
    stub: TasksStub,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> AuditPage:
    """Your task's audit trail, newest last: created (by whom, from which client), queued,
    each chunk started / finished / retried / dead-lettered (attempt, worker), cancelled (by
    whom), exported, ... Admins may read any task's trail."""
    reply = await stub.GetTaskAudit(
        pb.GetTaskAuditRequest(
            task_id=str(task_id), page_size=min(limit, MAX_LIMIT), page_token=cursor or ""
        ),
        timeout=RPC_TIMEOUT,
    )
    return AuditPage(
        items=[AuditEntry.from_pb(e) for e in reply.entries],
        next_cursor=reply.next_page_token or None,
    )
