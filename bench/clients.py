"""T-M6: many clients at once, each submitting one single task over REST and waiting for it.

Every client is an HTTP user of the gateway: POST /api/v1/tasks, then follows the task's
event stream until it ends (as the SDK's wait does), or with BENCH_CLIENT_WAIT=poll GETs the
task as a polite client polls: after POLL_FIRST seconds, then 1.5 times longer each time,
at most POLL_MAX apart. The clients belong to USERS accounts (CLIENTS / USERS each),
so the per-user limits (100 unfinished tasks, a burst of 40 creations) hold as configured.
The direct leg sends the same reviews to Triton, all at once, one review per call; the
Celery leg sends them as one Celery task each, all at once. The three legs are interleaved
in rounds (bench/rounds.py); the clients' latencies are pooled over the rounds.
A creation answered 429 or 503 (back-pressure: the tasks service refuses a creation it
cannot start in time) is tried again after its Retry-After, as the SDK's default RetryPolicy
does; those retries are counted, not errors. Reported: errors (any other non-2xx answer, a
last attempt refused, a task that did not end `ready`, a transport failure), the retries,
and the p50/p99 of submit -> ready as each client saw it.
"""

import asyncio
import json
import os
import ssl
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx
import tritonclient.grpc.aio as triton_aio

from bench import celery_leg
from bench.inference import reviews, triton_request
from bench.rounds import interleaved, percentile, ratio
from bench.stack import Stack
from inferlane.client.errors import retry_after_seconds
from inferlane.client.retries import RETRY_STATUSES, RetryPolicy

CLIENTS = int(os.environ.get("BENCH_CLIENTS", "1000"))
USERS = max(1, CLIENTS // 20)
POLL_FIRST, POLL_GROWTH, POLL_MAX = 0.25, 1.5, 2.0
# How a client waits for its task: the event stream (GET /tasks/{id}/events, as the SDK
# does), or `poll` (GET /tasks/{id}, backing off as above).
WAIT = os.environ.get("BENCH_CLIENT_WAIT", "events")
ENDED = ("ready", "error", "cancelled")
CLIENT_TIMEOUT = 300.0  # a client gives up (an error) after this long
_TLS = ssl.create_default_context()


@dataclass
class Outcomes:
    seconds: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)
    retries: int = 0  # creations answered 429/503 and tried again after Retry-After

    def error(self, kind: str) -> None:
        self.errors[kind] = self.errors.get(kind, 0) + 1


async def _user_token(http: httpx.AsyncClient) -> str:
    email, password = f"clients-{uuid.uuid4().hex[:10]}@example.com", "benchmark password 1"
    (
        await http.post("/api/v1/auth/register", json={"email": email, "password": password})
    ).raise_for_status()
    reply = await http.post("/api/v1/auth/token", data={"username": email, "password": password})
    reply.raise_for_status()
    return str(reply.json()["access_token"])


async def _client(
    gateway_url: str, token: str, text: str, start: asyncio.Event, out: Outcomes
) -> None:
    # Its own connection, as a separate client has: one shared httpx pool of 1,000
    # connections scans them all on every request and response (httpcore), which made the
    # bench's own process the busiest on the machine. One TLS context for all (the gateway
    # is plain HTTP here): httpx builds a new one per client otherwise, ~25 ms of CPU each.
    async with httpx.AsyncClient(
        base_url=gateway_url, timeout=httpx.Timeout(60.0), verify=_TLS
    ) as http:
        await _submit_and_wait(http, token, text, start, out)


async def _submit_and_wait(
    http: httpx.AsyncClient, token: str, text: str, start: asyncio.Event, out: Outcomes
) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    body = {"type": "single", "model": "sentiment", "input": {"text": text}}
    await start.wait()
    began = time.perf_counter()
    try:
        created = await _create(http, body, headers, out)
        if created.status_code != 202:
            out.error(f"POST {created.status_code}")
            return
        url = f"/api/v1/tasks/{created.json()['id']}"
        wait = _until_ended_polling if WAIT == "poll" else _until_ended_streaming
        status = await asyncio.wait_for(wait(http, url, headers), CLIENT_TIMEOUT)
        if status == "ready":
            out.seconds.append(time.perf_counter() - began)
        else:
            out.error(status)
    except TimeoutError:
        out.error("timed out")
    except httpx.HTTPError as exc:
        out.error(type(exc).__name__)


async def _create(
    http: httpx.AsyncClient, body: dict[str, Any], headers: dict[str, str], out: Outcomes
) -> httpx.Response:
    """POST the task, answering back-pressure (429, 503) as the SDK does: wait Retry-After,
    try again, at most as many times as its default RetryPolicy. Each retry is counted."""
    policy = RetryPolicy()
    for attempt in range(1, policy.max_attempts + 1):
        created = await http.post("/api/v1/tasks", json=body, headers=headers)
        if created.status_code not in RETRY_STATUSES or attempt == policy.max_attempts:
            return created
        out.retries += 1
        after = retry_after_seconds(created)
        await asyncio.sleep(min(policy.max_wait, after or policy.backoff * 2 ** (attempt - 1)))
    raise AssertionError("unreachable: the last attempt returns")


async def _until_ended_polling(http: httpx.AsyncClient, url: str, headers: dict[str, str]) -> str:
    """GET the task, further apart each time; its final status (or what went wrong)."""
    pause = POLL_FIRST
    while True:
        await asyncio.sleep(pause)
        pause = min(POLL_MAX, pause * POLL_GROWTH)
        task = await http.get(url, headers=headers)
        if task.status_code != 200:
            return f"GET {task.status_code}"
        status = str(task.json()["status"])
        if status in ENDED:
            return status if status == "ready" else f"task {status}"


async def _until_ended_streaming(http: httpx.AsyncClient, url: str, headers: dict[str, str]) -> str:
    """Follow the task's Server-Sent Events until the one that says it ended."""
    async with http.stream("GET", f"{url}/events", headers=headers) as reply:
        if reply.status_code != 200:
            return f"GET events {reply.status_code}"
        event = ""
        async for line in reply.aiter_lines():
            if line.startswith("event:"):
                event = line[6:].strip()
            elif line.startswith("data:") and event == "task":
                status = str(json.loads(line[5:])["status"])
                if status in ENDED:
                    return status if status == "ready" else f"task {status}"
    return "events ended early"


async def _platform(
    gateway_url: str, tokens: list[str], texts: list[str]
) -> tuple[Outcomes, float]:
    out, start = Outcomes(), asyncio.Event()
    clients = [
        asyncio.create_task(_client(gateway_url, tokens[i % USERS], text, start, out))
        for i, text in enumerate(texts)
    ]
    began = time.perf_counter()
    start.set()
    await asyncio.gather(*clients)
    return out, time.perf_counter() - began


async def _direct(stack: Stack, texts: list[str]) -> tuple[list[float], float]:
    triton = triton_aio.InferenceServerClient(stack.triton_url)

    async def one(text: str) -> float:
        began = time.perf_counter()
        await triton.infer("sentiment", triton_request([text]))
        return time.perf_counter() - began

    began = time.perf_counter()
    seconds = await asyncio.gather(*(one(t) for t in texts))
    wall = time.perf_counter() - began
    await triton.close()
    return list(seconds), wall


async def run(stack: Stack) -> list[tuple[str, str, str, str, str]]:
    texts = reviews(CLIENTS)
    direct: list[float] = []
    out = Outcomes()
    async with httpx.AsyncClient(base_url=stack.gateway_url, timeout=httpx.Timeout(60.0)) as http:
        tokens = [await _user_token(http) for _ in range(USERS)]

        async def direct_leg() -> float:
            seconds, wall = await _direct(stack, texts)
            direct.extend(seconds)
            return wall

        async def platform_leg() -> float:
            outcomes, wall = await _platform(stack.gateway_url, tokens, texts)
            out.seconds.extend(outcomes.seconds)
            for kind, count in outcomes.errors.items():
                out.errors[kind] = out.errors.get(kind, 0) + count
            out.retries += outcomes.retries
            return wall

        async def celery() -> float:
            return celery_leg.many_singles_seconds(texts)

        walls = await interleaved(
            {"direct": direct_leg, "platform": platform_leg, "celery": celery}
        )
    errors = sum(out.errors.values())
    detail = f" ({', '.join(f'{k}: {v}' for k, v in sorted(out.errors.items()))})" if errors else ""
    ms = lambda s: f"{s * 1000:,.0f} ms"  # noqa: E731
    p50, p99 = percentile(out.seconds, 50), percentile(out.seconds, 99)
    d50, d99 = percentile(direct, 50), percentile(direct, 99)
    return [
        (f"T-M6 {CLIENTS:,} clients, errors", f"{errors}{detail}", "-", "-", "0"),
        ("T-M6 creations retried after 429/503", f"{out.retries:,}", "-", "-", "-"),
        ("T-M6 submit -> ready, p50", ms(p50), ms(d50), f"{p50 / d50:.1f}x", "-"),
        ("T-M6 submit -> ready, p99", ms(p99), ms(d99), f"{p99 / d99:.1f}x", "-"),
        (
            "T-M6 all clients done",
            walls["platform"].show("s", 1),
            walls["direct"].show("s", 1),
            ratio(walls["platform"], walls["direct"]),
            "≤ 1.2x",
        ),
        (
            f"Celery: {CLIENTS:,} single tasks at once, all done",
            walls["celery"].show("s", 1),
            walls["direct"].show("s", 1),
            ratio(walls["celery"], walls["direct"]),
            "-",
        ),
    ]
