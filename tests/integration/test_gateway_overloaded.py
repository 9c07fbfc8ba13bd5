"""The gateway's own admission control on POST /api/v1/tasks: with its creations in flight
at the limit, one more that cannot be sent within the wait is a 503 problem (code
`overloaded`, Retry-After) and creates nothing; the held one still gets its 202."""

import asyncio

from inferlane.common.db import make_engine
from inferlane.common.errors import OVERLOADED
from tests.support.gateway_accounts import sign_up
from tests.support.gateway_tasks import TASKS, gateway_over_tasks
from tests.support.held_creation import bucket_locked, task_count, until_a_creation_waits

ONE_AT_A_TIME = {"create_concurrency": 1, "create_queue_seconds": 0.2}


def single(text: str) -> dict[str, object]:
    return {"type": "single", "model": "sentiment", "input": {"text": text}}


async def test_a_creation_the_gateway_cannot_send_in_time_is_a_503_with_retry_after(
    start_process, migrated_db, nats_url, triton, tmp_path
):
    engine = make_engine(migrated_db)
    try:
        async with gateway_over_tasks(
            start_process, migrated_db, nats_url, triton.url, tmp_path, gateway_extra=ONE_AT_A_TIME
        ) as http:
            first, second = await sign_up(http), await sign_up(http)
            warm = await http.post(TASKS, headers=first.headers, json=single("makes the bucket"))
            assert warm.status_code == 202, warm.text
            async with bucket_locked(engine, first.user_id):
                holding = asyncio.create_task(
                    http.post(TASKS, headers=first.headers, json=single("holds the only slot"))
                )
                await until_a_creation_waits(engine)
                refused = await http.post(TASKS, headers=second.headers, json=single("refused"))
            held = await holding

        assert refused.status_code == 503, refused.text
        assert refused.headers["content-type"] == "application/problem+json"
        assert int(refused.headers["Retry-After"]) >= 1
        assert refused.json()["code"] == OVERLOADED
        assert "busy" in refused.json()["detail"]
        assert await task_count(engine, second.user_id) == 0
        assert held.status_code == 202, held.text
    finally:
        await engine.dispose()
