"""The admin REST routes, end to end: gateway in-process, real auth service, real PostgreSQL."""

import uuid
from pathlib import Path

import httpx

from tests.support.gateway_accounts import promote_to_admin, sign_in, sign_up
from tests.support.problems import assert_problem

# -- admin ----------------------------------------------------------------------------------


async def test_admin_routes_are_403_for_users(api: httpx.AsyncClient) -> None:
    session = await sign_up(api)
    assert_problem(await api.get("/api/v1/admin/users", headers=session.headers), 403, "forbidden")
    response = await api.patch(
        f"/api/v1/admin/users/{session.user_id}", json={"role": "admin"}, headers=session.headers
    )
    assert_problem(response, 403, "forbidden")


async def test_admin_lists_users_and_changes_roles(
    api: httpx.AsyncClient, migrated_db: str, tmp_path: Path
) -> None:
    admin = await sign_up(api)
    other = await sign_up(api)
    await promote_to_admin(migrated_db, admin.email, tmp_path)
    # The old token still says "user"; a new sign-in carries the new role.
    assert (await api.get("/api/v1/admin/users", headers=admin.headers)).status_code == 403
    admin = await sign_in(api, admin.email)

    users = await api.get("/api/v1/admin/users?limit=100", headers=admin.headers)
    assert users.status_code == 200, users.text
    page = users.json()
    assert page.keys() == {"items", "next_cursor"}
    assert all(u.keys() == {"id", "email", "role", "created_at"} for u in page["items"])

    changed = await api.patch(
        f"/api/v1/admin/users/{other.user_id}", json={"role": "admin"}, headers=admin.headers
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["role"] == "admin" and changed.json()["id"] == other.user_id
    back = await api.patch(
        f"/api/v1/admin/users/{other.user_id}", json={"role": "user"}, headers=admin.headers
    )
    assert back.json()["role"] == "user"

    missing = await api.patch(
        f"/api/v1/admin/users/{uuid.uuid4()}", json={"role": "user"}, headers=admin.headers
    )
    assert_problem(missing, 404, "not_found")
    bad_role = await api.patch(
        f"/api/v1/admin/users/{other.user_id}", json={"role": "root"}, headers=admin.headers
    )
    assert_problem(bad_role, 422, "01")
