"""The whole platform killed at once mid-task (every process, servers included, SIGKILL) and
started again: the task completes with every row exactly once, its progress never going back."""

import itertools
import json
import time
import uuid

import httpx
import pytest

from tests.support.devstack import devstack_env, kill_everything, launch, stop, wait_ready
from tests.support.task_calls import reviews_csv

pytestmark = pytest.mark.slow

ROWS = 3000
PASSWORD = "a long enough passphrase"


def sign_up(http: httpx.Client) -> dict[str, str]:
    email = f"power-cut-{uuid.uuid4().hex[:10]}@example.com"
    registered = http.post("/api/v1/auth/register", json={"email": email, "password": PASSWORD})
    assert registered.status_code == 201, registered.text
    token = http.post("/api/v1/auth/token", data={"username": email, "password": PASSWORD})
    assert token.status_code == 200, token.text
    return {"Authorization": f"Bearer {token.json()['access_token']}"}


def progress(http: httpx.Client, headers: dict[str, str], task_id: str) -> dict | None:
    try:
        response = http.get(f"/api/v1/tasks/{task_id}", headers=headers)
    except httpx.HTTPError:
        return None  # the platform is down or starting
    return response.json() if response.status_code == 200 else None


def test_a_task_completes_when_the_whole_stack_is_killed_at_once_and_started_again(tmp_path):
    env, ports = devstack_env(tmp_path)
    url = f"http://127.0.0.1:{ports['gateway']}"
    first_log, second_log = tmp_path / "stack-1.log", tmp_path / "stack-2.log"
    launcher = launch(env, first_log)
    seen: list[int] = []
    try:
        wait_ready(url, launcher, first_log)
        with httpx.Client(base_url=url, timeout=30) as http:
            headers = sign_up(http)
            created = http.post(
                "/api/v1/tasks/batch-file",
                headers={**headers, "Idempotency-Key": str(uuid.uuid4())},
                files={"file": ("reviews.csv", reviews_csv(ROWS), "text/csv")},
                data={"model": "sentiment", "column": "review"},
            )
            assert created.status_code == 202, created.text
            task_id = created.json()["id"]
            deadline = time.monotonic() + 300
            while not seen or seen[-1] == 0:
                task = progress(http, headers, task_id)
                if task is not None:
                    assert task["status"] not in ("ready", "error"), task
                    seen.append(task["progress"]["done"])
                assert time.monotonic() < deadline, "the task never started"
                time.sleep(0.1)

            kill_everything(launcher)
            launcher = launch(env, second_log)
            deadline = time.monotonic() + 900
            while True:
                task = progress(http, headers, task_id)
                if task is not None:
                    seen.append(task["progress"]["done"])
                    if task["status"] in ("ready", "error", "cancelled"):
                        break
                assert launcher.poll() is None, second_log.read_text()[-4000:]
                assert time.monotonic() < deadline, (task, second_log.read_text()[-4000:])
                time.sleep(0.2)
            assert task["status"] == "ready", task
            exported = http.get(f"/api/v1/tasks/{task_id}/results?format=jsonl", headers=headers)
            assert exported.status_code == 200, exported.text
    finally:
        stop(launcher)
    rows = [json.loads(line)["row"] - 1 for line in exported.text.splitlines() if line]
    assert sorted(rows) == list(range(ROWS))
    assert all(a <= b for a, b in itertools.pairwise(seen)), seen
