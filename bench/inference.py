"""Inference benchmarks (issue 8): the platform ÷ direct Triton ÷ in-process, same data.

The throughput legs run interleaved in rounds (bench/rounds.py); M2's calls alternate.
L0   rows/s of the served graph in-process (bench/inprocess.py), the reference.

M1  rows/s through the inference service's Predict ÷ rows/s of direct tritonclient calls,
    same batch size and concurrency.
M2  gateway POST /models/sentiment/predict p50 for one review - direct Triton p50.
M4  single-row Predict calls at high concurrency (Triton's dynamic batching does the
    batching) ÷ pre-batched direct calls.
"""

import asyncio
import csv
import os
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

import grpc
import httpx
import numpy as np
import tritonclient.grpc.aio as triton_aio
from google.protobuf import struct_pb2

from bench.inprocess import InProcess
from bench.rounds import compared, interleaved
from bench.stack import Stack
from inferlane.inference.v1 import inference_service_pb2 as pb
from inferlane.inference.v1 import inference_service_pb2_grpc

DEV_CSV = Path(__file__).resolve().parents[2] / "shared" / "data" / "reviews" / "dev.csv"
BATCH, CONCURRENCY = 32, 4
ROWS = int(os.environ.get("BENCH_ROWS", "2048"))  # per leg and round
SINGLE_CALLS, SINGLE_IN_FLIGHT = min(1024, ROWS), 64
LATENCY_SAMPLES = int(os.environ.get("BENCH_LATENCY_SAMPLES", "200"))


def reviews(n: int) -> list[str]:
    if DEV_CSV.exists():
        with DEV_CSV.open(newline="", encoding="utf-8") as f:
            texts = [row["text"] for row in csv.DictReader(f)]
    else:  # a fresh clone without ../shared: synthetic reviews of similar length
        texts = [
            f"Review {i}: the fabric is soft, the fit runs a little small, " * 3 for i in range(500)
        ]
    return (texts * (n // len(texts) + 1))[:n]


async def in_flight(calls: list[Callable[[], Awaitable[object]]], limit: int) -> float:
    """Run the calls with at most `limit` in flight; returns the seconds it took."""
    gate = asyncio.Semaphore(limit)

    async def one(call: Callable[[], Awaitable[object]]) -> None:
        async with gate:
            await call()

    start = time.perf_counter()
    await asyncio.gather(*(one(c) for c in calls))
    return time.perf_counter() - start


def triton_request(texts: list[str]) -> list[triton_aio.InferInput]:
    data = np.array([[t.encode()] for t in texts], dtype=object)
    tensor = triton_aio.InferInput("TEXT", list(data.shape), "BYTES")
    tensor.set_data_from_numpy(data)
    return [tensor]


async def token(stack: Stack) -> str:
    email, password = f"bench-{uuid.uuid4().hex[:8]}@example.com", "benchmark password 1"
    async with httpx.AsyncClient(base_url=stack.gateway_url) as http:
        (
            await http.post("/api/v1/auth/register", json={"email": email, "password": password})
        ).raise_for_status()
        reply = await http.post(
            "/api/v1/auth/token", data={"username": email, "password": password}
        )
        reply.raise_for_status()
        return str(reply.json()["access_token"])


async def run(stack: Stack, l0: InProcess) -> list[tuple[str, str, str, str, str]]:
    texts = reviews(ROWS)
    batches = [texts[i : i + BATCH] for i in range(0, ROWS, BATCH)]
    bearer = await token(stack)
    metadata = [("authorization", f"Bearer {bearer}")]
    triton = triton_aio.InferenceServerClient(stack.triton_url)
    channel = grpc.aio.insecure_channel(stack.addresses["inference"])
    stub = inference_service_pb2_grpc.InferenceServiceStub(channel)

    def predict(batch: list[str]) -> Callable[[], Awaitable[object]]:
        inputs = [
            struct_pb2.Struct(fields={"text": struct_pb2.Value(string_value=t)}) for t in batch
        ]
        return lambda: stub.Predict(
            pb.PredictRequest(model="sentiment", inputs=inputs), metadata=metadata
        )

    def direct(batch: list[str]) -> Callable[[], Awaitable[object]]:
        return lambda: triton.infer("sentiment", triton_request(batch))

    # Warm both paths (model sessions, connections, JWKS) before measuring, one call at a
    # time: a loaded machine's first calls can outlast the inference service's deadline.
    await in_flight([direct(b) for b in batches[:2]] + [predict(b) for b in batches[:2]], 1)

    async def rate(calls: list[Callable[[], Awaitable[object]]], limit: int, rows: int) -> float:
        return rows / await in_flight(calls, limit)

    async def in_process() -> float:
        return l0.rows_per_s(texts)

    singles = texts[:SINGLE_CALLS]
    legs = await interleaved(
        {
            "L0": in_process,
            "direct": lambda: rate([direct(b) for b in batches], CONCURRENCY, ROWS),
            "platform": lambda: rate([predict(b) for b in batches], CONCURRENCY, ROWS),
            "singles": lambda: rate(
                [predict([t]) for t in singles], SINGLE_IN_FLIGHT, len(singles)
            ),
        }
    )

    direct_ms, gateway_ms = [], []  # interleaved call by call
    async with httpx.AsyncClient(
        base_url=stack.gateway_url, headers={"authorization": f"Bearer {bearer}"}
    ) as http:
        for text in texts[:LATENCY_SAMPLES]:
            start = time.perf_counter()
            await triton.infer("sentiment", triton_request([text]))
            direct_ms.append((time.perf_counter() - start) * 1000)
            start = time.perf_counter()
            reply = await http.post(
                "/api/v1/models/sentiment/predict", json={"inputs": [{"text": text}]}
            )
            gateway_ms.append((time.perf_counter() - start) * 1000)
            reply.raise_for_status()
    await triton.close()
    await channel.close(None)
    direct_p50, gateway_p50 = statistics.median(direct_ms), statistics.median(gateway_ms)
    rows = "rows/s"
    return [
        ("L0 in-process, " + l0.describe(), legs["L0"].show(rows), "-", "-", "reference"),
        compared("direct Triton ÷ L0", legs["direct"], legs["L0"], "≥ 0.85"),
        compared("M1 batch throughput ÷ direct", legs["platform"], legs["direct"], "≥ 0.95"),
        compared("M1 platform ÷ L0", legs["platform"], legs["L0"], "-"),
        (
            "M2 one review, p50",
            f"{gateway_p50:.1f} ms",
            f"{direct_p50:.1f} ms",
            f"+{gateway_p50 - direct_p50:.1f} ms",
            "≤ +2 ms",
        ),
        compared(
            f"M4 single rows, {SINGLE_IN_FLIGHT} in flight",
            legs["singles"],
            legs["direct"],
            "≥ 0.60",
        ),
    ]
