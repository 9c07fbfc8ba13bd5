"""With Triton stopped the gateway stays in service: sign-in and task reads work, model routes
answer 503 with Retry-After, /readyz says "degraded" (200), and a task waits for Triton."""

import asyncio
import signal
import uuid

import pytest

from tests.support.gateway_accounts import sign_up
from tests.support.gateway_tasks import TASKS, gateway_over_tasks, wait_until_finished
from tests.support.servers import Triton
from tests.support.waiting import eventually

pytestmark = pytest.mark.slow

PREDICT = "/api/v1/models/sentiment/predict"
REVIEW = {"inputs": [{"text": "Lovely fabric, runs small."}]}


async def test_with_triton_stopped_sign_in_and_task_reads_work_and_tasks_wait(
    start_process, migrated_db, nats_url, tmp_path
):
    triton = Triton(tmp_path)
    triton.start()
    try:
        async with gateway_over_tasks(
            start_process, migrated_db, nats_url, triton.url, tmp_path
        ) as http:
            me = await sign_up(http)
            assert (await http.post(PREDICT, headers=me.headers, json=REVIEW)).status_code == 200
            await asyncio.to_thread(triton.stop, signal.SIGKILL)

            async def degraded() -> bool:
                response = await http.get("/readyz")
                body = response.json()
                return response.status_code == 200 and body["components"]["triton"] != "ok"

            await eventually(degraded, 30, "/readyz to report Triton down, still 200")
            response = await http.post(PREDICT, headers=me.headers, json=REVIEW)
            assert response.status_code == 503, response.text
            assert response.headers["content-type"] == "application/problem+json"
            assert int(response.headers["Retry-After"]) > 0

            other = await sign_up(http)  # sign-in works
            created = await http.post(
                TASKS,
                headers={**other.headers, "Idempotency-Key": str(uuid.uuid4())},
                json={"type": "single", "model": "sentiment", "input": {"text": "Soft, warm."}},
            )
            assert created.status_code == 202, created.text
            task_id = created.json()["id"]
            listed = await http.get(TASKS, headers=other.headers)
            assert listed.status_code == 200 and [t["id"] for t in listed.json()["items"]] == [
                task_id
            ]
            await asyncio.sleep(2)  # the worker takes no work while inference is not ready
            waiting = (await http.get(f"{TASKS}/{task_id}", headers=other.headers)).json()
            assert waiting["status"] in ("pending", "queued"), waiting

            await asyncio.to_thread(triton.start)
            done = await wait_until_finished(http, other.headers, task_id, timeout=120)
            assert done["status"] == "ready", done
    finally:
        triton.stop()
