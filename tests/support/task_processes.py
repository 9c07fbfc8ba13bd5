"""The tasks service and its worker as real subprocesses (for kill -9), and SQL looks at what
they stored."""

from typing import Any

import grpc
import nats
import psycopg
from nats.js.errors import NotFoundError

from tests.support.in_process import health_status
from tests.support.processes import service_process
from tests.support.servers import ServerProcess
from tests.support.waiting import eventually, free_port

SHARED = ("database_url", "nats_url", "auth_addr", "datasets_addr", "inference_addr")


def subprocess_env(settings: dict[str, Any], prefix: str, **extra: Any) -> dict[str, str]:
    """Environment of `python -m services.tasks[.worker]` from a stack's worker settings dict:
    shared names as they are (DATABASE_URL...), the rest under the process's prefix."""
    env = {name.upper(): str(settings[name]) for name in SHARED}
    if prefix == "TASKS_WORKER_":
        env[prefix + "SERVICE_KEY"] = str(settings["service_key"])
    env |= {prefix + name.upper(): str(value) for name, value in extra.items()}
    return env


class Service:
    """One `python -m` process on a fixed free port; start() waits until it serves."""

    def __init__(self, module: str, log_path: Any, env: dict[str, str], prefix: str) -> None:
        port = free_port()
        self.address = f"127.0.0.1:{port}"
        env = {**env, f"{prefix}GRPC_PORT": str(port), f"{prefix}METRICS_PORT": str(free_port())}
        self.server: ServerProcess = service_process(module, log_path, env)

    async def start(self) -> "Service":
        self.server.start()

        async def serving() -> bool:
            if self.server.process is not None and self.server.process.poll() is not None:
                raise RuntimeError(f"{self.server.log_path.name} exited:\n{self.server.log()}")
            try:
                return await health_status(self.address) == 1
            except grpc.aio.AioRpcError:
                return False

        await eventually(serving, 60, f"{self.address} to serve")
        return self


def worker(log_path: Any, settings: dict[str, Any], **extra: Any) -> Service:
    env = subprocess_env(settings, "TASKS_WORKER_", **extra)
    return Service("services.tasks.worker", log_path, env, "TASKS_WORKER_")


def inference(log_path: Any, triton_url: str, auth_addr: str) -> Service:
    env = {
        "TRITON_URL": triton_url,
        "AUTH_ADDR": auth_addr,
        "INFERENCE_HEALTH_INTERVAL_SECONDS": "0.2",
    }
    return Service("services.inference", log_path, env, "INFERENCE_")


def tasks_service(log_path: Any, settings: dict[str, Any], **env: str) -> Service:
    return Service("services.tasks", log_path, subprocess_env(settings, "TASKS_") | env, "TASKS_")


async def stored_rows(database_url: str, task_id: str) -> tuple[int, list[int]]:
    """(rows in tasks.task_results of the task, its distinct row indexes in order)."""
    async with await psycopg.AsyncConnection.connect(database_url) as conn:
        count = await (
            await conn.execute(
                "SELECT count(*) FROM tasks.task_results WHERE task_id = %s", [task_id]
            )
        ).fetchone()
        indexes = await (
            await conn.execute(
                "SELECT DISTINCT row_index FROM tasks.task_results WHERE task_id = %s"
                " ORDER BY row_index",
                [task_id],
            )
        ).fetchall()
    assert count is not None
    return int(count[0]), [int(row[0]) for row in indexes]


async def unpublished_outbox_rows(database_url: str) -> int:
    async with await psycopg.AsyncConnection.connect(database_url) as conn:
        row = await (
            await conn.execute("SELECT count(*) FROM tasks.outbox WHERE published_at IS NULL")
        ).fetchone()
    assert row is not None
    return int(row[0])


async def chunk_sizes_of(database_url: str, task_id: str) -> list[int]:
    """The rows of each of a task's chunks, in order, as the tasks service planned them."""
    async with await psycopg.AsyncConnection.connect(database_url) as conn:
        rows = await (
            await conn.execute(
                "SELECT end_row - start_row FROM tasks.task_chunks WHERE task_id = %s"
                " ORDER BY chunk_index",
                (task_id,),
            )
        ).fetchall()
    return [int(r[0]) for r in rows]


async def task_ids_of(database_url: str, owner_id: str) -> list[str]:
    async with await psycopg.AsyncConnection.connect(database_url) as conn:
        rows = await (
            await conn.execute("SELECT id FROM tasks.tasks WHERE owner_id = %s", (owner_id,))
        ).fetchall()
    return [str(r[0]) for r in rows]


def chunks_run_by(worker: Any) -> list[int]:
    """Record the chunk indexes an in-process worker (a started GrpcProcess) runs from now on,
    by wrapping its ChunkRunner, reached through its consumer's bound `run` (no service change)."""
    consumer = worker._background[0].__self__
    runner = consumer._runner
    original = runner.run
    seen: list[int] = []

    async def run(delivery: Any) -> Any:
        seen.append(delivery.work.chunk_index)
        return await original(delivery)

    runner.run = run
    return seen


async def wait_pulling(nats_url: str, workers: int) -> None:
    """Until `workers` pull requests wait on the shared TASKS_WORK consumer."""
    client = await nats.connect(nats_url)

    async def pulling() -> bool:
        try:
            info = await client.jetstream().consumer_info("TASKS_WORK", "tasks-workers")
        except NotFoundError:
            return False
        return (info.num_waiting or 0) >= workers

    try:
        await eventually(pulling, 30, f"{workers} workers to pull work")
    finally:
        await client.close()
