"""Administration: users and their roles, dead-lettered task work (admin role only)."""

import uuid

from fastapi import APIRouter

from inferlane.auth.v1 import auth_service_pb2 as pb
from inferlane.tasks.v1 import tasks_service_pb2 as tasks_pb

from ..deps import AdminUser, AuthStub, Cursor, JsonBody, Limit, TasksStub
from ..schemas.admin import RoleChange
from ..schemas.auth import ROLE_TO_PB, User
from ..schemas.common import DEFAULT_LIMIT, MAX_LIMIT, Page
from ..schemas.problems import problems
from ..schemas.tasks import DeadLetter
from ..security import RPC_TIMEOUT

router = APIRouter(prefix="/admin", tags=["admin"])


@router.get("/users", responses=problems(401, 403, 422))
async def list_users(
    admin: AdminUser, stub: AuthStub, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None
) -> Page[User]:
    """Every user, oldest first (admin only)."""
    reply = await stub.ListUsers(
        pb.ListUsersRequest(page_size=min(limit, MAX_LIMIT), page_token=cursor or ""),
        timeout=RPC_TIMEOUT,
    )
    return Page[User](
        items=[User.from_pb(u) for u in reply.users], next_cursor=reply.next_page_token or None
    )


@router.patch(
    "/users/{user_id}",
    dependencies=[JsonBody],
    responses=problems(401, 403, 404, 415, 422),
)
async def set_user_role(
    user_id: uuid.UUID, body: RoleChange, admin: AdminUser, stub: AuthStub
) -> User:
    """Change a user's role (admin only); tokens issued before keep the old role until expiry."""
    reply = await stub.SetUserRole(
        pb.SetUserRoleRequest(user_id=str(user_id), role=ROLE_TO_PB[body.role]),
        timeout=RPC_TIMEOUT,
    )
    return User.from_pb(reply.user)


@router.get("/dead-letters", responses=problems(401, 403, 422))
async def list_dead_letters(
    admin: AdminUser, stub: TasksStub, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None
) -> Page[DeadLetter]:
    """Task work that exhausted its deliveries, newest first, across all users (admin only)."""
    reply = await stub.ListDeadLetters(
        tasks_pb.ListDeadLettersRequest(page_size=min(limit, MAX_LIMIT), page_token=cursor or ""),
        timeout=RPC_TIMEOUT,
    )
    return Page[DeadLetter](
        items=[DeadLetter.from_pb(d) for d in reply.dead_letters],
        next_cursor=reply.next_page_token or None,
    )


@router.post("/dead-letters/{dead_letter_id}/replay", responses=problems(401, 403, 404, 422))
async def replay_dead_letter(
    dead_letter_id: uuid.UUID, admin: AdminUser, stub: TasksStub
) -> DeadLetter:
    """Put a dead-lettered work message back on the work queue (admin only)."""
    reply = await stub.ReplayDeadLetter(
        tasks_pb.ReplayDeadLetterRequest(dead_letter_id=str(dead_letter_id)),
        timeout=RPC_TIMEOUT,
    )
    return DeadLetter.from_pb(reply.dead_letter)
