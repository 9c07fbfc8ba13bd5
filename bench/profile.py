"""`python -m bench.profile`: where the platform's own time goes, per process (py-spy).

Starts the platform, then for each scenario first counts the CPU time every process of the
platform spends per call (user + system from /proc: unlike wall time, hardly moved by other
load on the machine), then records every Python service with `py-spy record` (sampling from
outside, no code change) while the bench's client runs it again sequentially, and prints per
process the share of busy samples in each bucket (HTTP parsing,
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
    "datasets": "services.datasets",
    "inference": "services.inference",
    "tasks": "services.tasks",
    "tasks.worker": "services.tasks.worker",
}
CALLS = int(os.environ.get("BENCH_PROFILE_CALLS", "300"))
IDLE_SECONDS = 10.0
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
    """This stack's services only: other checkouts may run the same modules on the machine."""
    return {
        name: pid for pid in _descendants(stack.launcher_pid) if (name := _name(pid)) in PROCESSES
    }


def _descendants(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(parent, []).append(int(stat.parent.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo += children.get(pid, [])
    return found


def _name(pid: int) -> str | None:
    try:
        args = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return None
    line = " ".join(a.decode(errors="replace") for a in args)
    for name, module in PROCESSES.items():
        if line.endswith(f"-m {module} ") or line.endswith(f"-m {module}"):
            return name
    for name in ("postgres", "nats-server", "tritonserver", "triton_python_backend_stub"):
        if name in line:
            return "triton" if name.startswith("triton") else name
    return None


def cpu_seconds(root: int) -> dict[str, float]:
    """CPU time (user + system) so far of every process below `root`, by service."""
    ticks = os.sysconf("SC_CLK_TCK")
    out: dict[str, float] = {}
    for pid in _descendants(root):
        name = _name(pid)
        if name is None:
            continue
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        out[name] = out.get(name, 0.0) + (int(fields[11]) + int(fields[12])) / ticks
    return out


def _bucket(frames: list[str]) -> str:
    for frame in reversed(frames):  # the leaf first: the innermost library decides
        for name, needles in BUCKETS:
            if any(n in frame for n in needles):
                return name
    return "other (our code, stdlib)"


# Leaves where a thread waits (py-spy counts a loop blocked in epoll, or uvloop's C loop,
# as running).
IDLE_LEAVES = ("select (selectors.py", "Runner.run (asyncio/runners.py", "Condition.wait (")
# Frames every busy sample of a service passes through: they say nothing about where it went.
GENERIC = ("runpy", "asyncio/", "__main__.py", "common/grpc/server.py", "uvicorn/", "threading.py")


def summarise(raw: Path, top: int = 10) -> str:
    buckets: Counter[str] = Counter()
    leaves: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = native = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        n = int(count)
        frames = [f for f in stack.strip().split(";") if f]
        if not frames:  # a thread with no Python frame: gRPC's core, the ONNX/NATS natives
            native += n
            continue
        if any(leaf in frames[-1] for leaf in IDLE_LEAVES):  # waiting, not working
            continue
        total += n
        buckets[_bucket(frames)] += n
        leaves[frames[-1]] += n
        for frame in set(frames):
            if not any(g in frame for g in GENERIC):
                inclusive[frame] += n
    if not total:
        return f"  no Python samples ({native} native-only)"
    lines = [f"  Python samples: {total} (and {native} in threads with no Python frame)"]
    lines += [f"  {100 * n / total:5.1f} %  {name}" for name, n in buckets.most_common()]
    lines.append("  busiest functions, inclusive (outer loop frames left out):")
    lines += [f"    {100 * n / total:5.1f} %  {f[:110]}" for f, n in inclusive.most_common(top)]
    lines.append("  busiest leaves (self time):")
    lines += [f"    {100 * n / total:5.1f} %  {f[:110]}" for f, n in leaves.most_common(top // 2)]
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
            # Background work (probes, relays, heartbeats) is measured idle first and taken
            # out, so what remains is each call's own cost.
            idle_before = cpu_seconds(stack.launcher_pid)
            await asyncio.sleep(IDLE_SECONDS)
            cpu_before = cpu_seconds(stack.launcher_pid)
            idle = {k: (v - idle_before.get(k, 0.0)) / IDLE_SECONDS for k, v in cpu_before.items()}
            start = time.perf_counter()
            await scenario()  # unprofiled: CPU per call without py-spy's own cost
            seconds = time.perf_counter() - start
            cpu = {
                k: v - cpu_before.get(k, 0.0) - idle.get(k, 0.0) * seconds
                for k, v in cpu_seconds(stack.launcher_pid).items()
            }
            print(f"\n{name}: {CALLS} sequential calls in {seconds:.1f} s; CPU ms per call:")
            print("  " + ", ".join(f"{k} {v * 1000 / CALLS:.1f}" for k, v in sorted(cpu.items())))
            print(
                "  (idle, CPU ms per second: "
                + ", ".join(f"{k} {v * 1000:.0f}" for k, v in sorted(idle.items()))
                + ")"
            )
            recorders = _record(pids, folder, name)
            await asyncio.sleep(1.0)  # py-spy attaches
            await scenario()
            _stop(recorders)
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
