"""A task's audit trail through the gateway: the creator and their client program, paging
oldest first, 404 for another user, any task's trail for an admin."""

import pytest

from tests.support.gateway_tasks import TASKS, Api, create, single, wait_until_finished
from tests.support.problems import assert_problem

pytestmark = pytest.mark.slow


async def test_the_trail_names_the_creator_and_client_and_pages_oldest_first(api: Api) -> None:
    me = await api.user()
    response = await create(api, me, single(), **{"User-Agent": "audit-test/1.0"})
    assert response.status_code == 202, response.text
    task_id = response.json()["id"]
    await wait_until_finished(api.http, me.headers, task_id)

    items, cursor = [], None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = await api.http.get(f"{TASKS}/{task_id}/audit", headers=me.headers, params=params)
        assert page.status_code == 200, page.text
        items += page.json()["items"]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            break
    events = [e["event"] for e in items]
    assert events[0] == "created" and events[-1] == "ready", events
    assert {"chunk_started", "chunk_finished"} <= set(events)
    created = items[0]
    assert created["actor_id"] == me.user_id
    assert created["details"]["client"] == "audit-test/1.0"
    assert created["details"]["request_id"] == response.headers["X-Request-ID"]

    stranger = await api.user()
    refused = await api.http.get(f"{TASKS}/{task_id}/audit", headers=stranger.headers)
    assert_problem(refused, 404, "not_found")
    admin = await api.admin()
    as_admin = await api.http.get(f"{TASKS}/{task_id}/audit", headers=admin.headers)
    assert [e["event"] for e in as_admin.json()["items"]] == events
