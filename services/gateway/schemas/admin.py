"""What only admins may send."""

from pydantic import BaseModel

from .auth import AssignableRole


class RoleChange(BaseModel):
    role: AssignableRole
