"""Administration: users and their roles (admin role only)."""

import uuid

from fastapi import APIRouter

from inferlane.auth.v1 import auth_service_pb2 as pb

from ..deps import AdminUser, AuthStub, Cursor, JsonBody, Limit
from ..schemas.admin import RoleChange
from ..schemas.auth import ROLE_TO_PB, User
from ..schemas.common import DEFAULT_LIMIT, MAX_LIMIT, Page
from ..schemas.problems import problems
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
