"""What only admins may send."""

from pydantic import BaseModel

from .auth import Role


class RoleChange(BaseModel):
    role: Role
