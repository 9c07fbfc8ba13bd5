"""`python -m bench.profile`: where the platform's own time goes, per process (py-spy).

Starts the platform, then for each scenario records every Python service with
`py-spy record` (sampling from outside, no code change) while the bench's client runs it
sequentially, and prints per process the share of busy samples in each bucket (HTTP parsing,
JSON, Struct conversions, token checks, gRPC, database, NATS …) and the busiest functions.
Scenarios: M2 (one review through POST /models/sentiment/predict) and T-M5 (one single task,
submit -> ready through WatchTask). Needs ptrace on the services (root or
kernel.yama.ptrace_scope 0); the raw stacks stay in the printed folder.
"""

import asyncio
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
from google.protobuf import struct_pb2

from bench.inference import reviews, token
from bench.stack import Stack, running_stack
from bench.tasks import review_dataset, until_terminal
from inferlane.tasks.v1 import tasks_service_pb2 as pb

PROCESSES = {  # `python -m <module>` of each service, as the devstack starts them
    "gateway": "services.gateway",
    "auth": "services.auth",
    "inference": "services.inference",
    "tasks": "services.tasks",
    "tasks.worker": "services.tasks.worker",
}
CALLS = int(os.environ.get("BENCH_PROFILE_CALLS", "300"))
# First match wins: a sample's bucket is the first of these found in its stack, leaf first.
BUCKETS = (
    ("HTTP parsing (h11/httptools)", ("h11", "httptools", "uvicorn/protocols")),
    ("token checks (JWT, Ed25519)", ("jwt/", "auth/verify", "cryptography", "security.py")),
    ("Struct conversions", ("json_format", "struct_pb2", "well_known_types", "structs.py")),
    ("JSON (encode/decode, pydantic)", ("json/", "orjson", "pydantic", "encoders.py")),
    ("database (psycopg, SQLAlchemy)", ("psycopg", "sqlalchemy")),
    ("NATS", ("nats/",)),
    ("gRPC (grpc.aio, protobuf)", ("grpc/", "grpc_", "_pb2", "protobuf")),
    ("tracing / logging", ("opentelemetry", "structlog", "logging/")),
    ("framework (Starlette/FastAPI)", ("starlette", "fastapi")),
    ("asyncio event loop", ("asyncio/", "selectors")),
)


def _pids(stack: Stack) -> dict[str, int]:
    out = subprocess.run(
        ["ps", "-eo", "pid=,args="], capture_output=True, text=True, check=True
    ).stdout
    found = {}
    for line in out.splitlines():
        pid, _, args = line.strip().partition(" ")
        for name, module in PROCESSES.items():
            if args.endswith(f"-m {module}") and name not in found:
                found[name] = int(pid)
    return found


def _bucket(frames: list[str]) -> str:
    for frame in reversed(frames):  # the leaf first: the innermost library decides
        for name, needles in BUCKETS:
            if any(n in frame for n in needles):
                return name
    return "other (our code, stdlib)"


def summarise(raw: Path, top: int = 8) -> str:
    buckets: Counter[str] = Counter()
    functions: Counter[str] = Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        frames = stack.split(";")
        n = int(count)
        total += n
        buckets[_bucket(frames)] += n
        for frame in set(frames):
            functions[frame] += n
    if not total:
        return "  no busy samples"
    lines = [f"  busy samples: {total}"]
    lines += [f"  {100 * n / total:5.1f} %  {name}" for name, n in buckets.most_common()]
    lines.append("  busiest functions (inclusive):")
    ours = [(f, n) for f, n in functions.most_common() if "(" in f and "<module>" not in f]
    lines += [f"    {100 * n / total:5.1f} %  {f[:110]}" for f, n in ours[:top]]
    return "\n".join(lines)


async def _m2(stack: Stack) -> Callable[[], Awaitable[None]]:
    bearer = await token(stack)
    http = httpx.AsyncClient(
        base_url=stack.gateway_url, headers={"authorization": f"Bearer {bearer}"}
    )
    texts = reviews(CALLS)

    async def scenario() -> None:
        for text in texts:
            reply = await http.post(
                "/api/v1/models/sentiment/predict", json={"inputs": [{"text": text}]}
            )
            reply.raise_for_status()

    return scenario


def _record(pids: dict[str, int], folder: Path, scenario: str) -> list[subprocess.Popen[bytes]]:
    return [
        subprocess.Popen(
            [
                *(sys.executable.replace("python", "py-spy"), "record", "--pid", str(pid)),
                *("--format", "raw", "--rate", "250", "--nonblocking"),
                *("--output", str(folder / f"{scenario}.{name}.txt")),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for name, pid in pids.items()
    ]


def _stop(recorders: list[subprocess.Popen[bytes]]) -> None:
    for recorder in recorders:
        recorder.send_signal(signal.SIGINT)  # py-spy writes its output on SIGINT
    for recorder in recorders:
        recorder.wait(60)


async def _profile(stack: Stack, folder: Path) -> None:
    pids = _pids(stack)
    m2 = await _m2(stack)
    await m2()  # warm
    async with review_dataset(stack, CALLS) as data:

        async def t_m5() -> None:
            for text in data.texts:
                single = pb.SingleTaskSpec(model="sentiment", input=struct_pb2.Struct())
                single.input.update({"text": text})
                created = await data.tasks.CreateTask(
                    pb.CreateTaskRequest(single=single), metadata=data.metadata
                )
                await until_terminal(data.tasks, data.metadata, created.task.id)

        for name, scenario in (("M2", m2), ("T-M5", t_m5)):
            recorders = _record(pids, folder, name)
            await asyncio.sleep(1.0)  # py-spy attaches
            start = time.perf_counter()
            await scenario()
            seconds = time.perf_counter() - start
            _stop(recorders)
            print(f"\n{name}: {CALLS} sequential calls in {seconds:.1f} s")
            for process in pids:
                raw = folder / f"{name}.{process}.txt"
                if raw.exists():
                    print(f"{process}\n{summarise(raw)}")


def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="inferlane-profile-"))
    with running_stack() as stack:
        asyncio.run(_profile(stack, folder))
    print(f"\nraw stacks (py-spy --format raw; flamegraph.pl or speedscope read them): {folder}")


if __name__ == "__main__":
    main()
