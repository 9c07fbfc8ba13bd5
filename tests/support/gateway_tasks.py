"""The gateway in front of the whole task pipeline, for tests that speak REST to it."""

import asyncio
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from tests.support.gateway_accounts import Session, promote_to_admin, sign_in, sign_up
from tests.support.gateway_edge import gateway, gateway_settings
from tests.support.task_stack import start_task_stack

TASKS = "/api/v1/tasks"
TERMINAL = {"ready", "error", "cancelled"}


@asynccontextmanager
async def gateway_over_tasks(
    start_process: Any,
    database_url: str,
    nats_url: str,
    triton_url: str,
    work_dir: Path,
    gateway_extra: dict[str, Any] | None = None,
    **stack_args: Any,
) -> AsyncIterator[httpx.AsyncClient]:
    """auth, datasets, inference, tasks and workers (start_task_stack), and a gateway on them
    (`gateway_extra`: more of its settings); yields the gateway's HTTP client."""
    stack = await start_task_stack(
        start_process,
        database_url=database_url,
        nats_url=nats_url,
        triton_url=triton_url,
        work_dir=work_dir,
        **stack_args,
    )
    settings = gateway_settings(
        stack.auth.address,
        database_url,
        nats_url,
        datasets_addr=stack.datasets.address,
        tasks_addr=stack.tasks.address,
        inference_addr=stack.inference.address,
        **(gateway_extra or {}),
    )
    async with gateway(settings) as edge:
        yield edge.browser()


async def wait_until_finished(
    http: httpx.AsyncClient, headers: dict[str, str], task_id: str, timeout: float = 120
) -> Any:
    """Poll the task until it is ready, failed or cancelled; returns it."""
    deadline = time.monotonic() + timeout
    while True:
        response = await http.get(f"{TASKS}/{task_id}", headers=headers)
        assert response.status_code == 200, response.text
        task = response.json()
        if task["status"] in TERMINAL:
            return task
        assert time.monotonic() < deadline, task
        await asyncio.sleep(0.1)


@dataclass
class Api:
    http: httpx.AsyncClient
    db: str
    key_dir: Path

    async def user(self) -> Session:
        return await sign_up(self.http)

    async def admin(self) -> Session:
        session = await sign_up(self.http)
        await promote_to_admin(self.db, session.email, self.key_dir)
        return await sign_in(self.http, session.email)


async def tasks_api(
    start_process, migrated_db, nats_url, triton, tmp_path, **stack_args: Any
) -> AsyncIterator[Api]:
    """`Api` over gateway_over_tasks (`stack_args` as start_task_stack takes them)."""
    async with gateway_over_tasks(
        start_process, migrated_db, nats_url, triton.url, tmp_path, **stack_args
    ) as http:
        yield Api(http, migrated_db, tmp_path)


def single(text: str = "I love it, best purchase ever!") -> dict[str, Any]:
    return {"type": "single", "model": "sentiment", "input": {"text": text}}


async def create(api: Api, me: Session, body: dict[str, Any], **headers: str) -> httpx.Response:
    return await api.http.post(TASKS, json=body, headers={**me.headers, **headers})


async def upload_batch(
    api: Api, me: Session, content: bytes, fields: dict[str, str], **headers: str
) -> httpx.Response:
    return await api.http.post(
        f"{TASKS}/batch-file",
        data=fields,
        files={"file": ("reviews.csv", content, "text/csv")},
        headers={**me.headers, **headers},
    )


def sse_events(text: str) -> list[tuple[str, Any]]:
    """(event, parsed data) per Server-Sent Event, comments (pings) skipped."""
    events = []
    for block in text.replace("\r\n", "\n").split("\n\n"):
        name, data = "message", []
        for line in block.split("\n"):
            if line.startswith("event:"):
                name = line[6:].strip()
            elif line.startswith("data:"):
                data.append(line[5:].strip())
        if data:
            events.append((name, json.loads("\n".join(data))))
    return events
