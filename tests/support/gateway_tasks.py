"""The gateway in front of the whole task pipeline, for tests that speak REST to it."""

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx

from tests.integration.test_gateway_auth import gateway, gateway_settings
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
    **stack_args: Any,
) -> AsyncIterator[httpx.AsyncClient]:
    """auth, datasets, inference, tasks and workers (start_task_stack), and a gateway on them;
    yields the gateway's HTTP client."""
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
