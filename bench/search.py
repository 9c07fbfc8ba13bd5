"""Search benchmarks (issue 18): similar-row search over an embedding task's stored vectors.

S-1  p50 / p99 of one search over BENCH_SEARCH_ROWS stored vectors (default 100,000) with the
     task's HNSW index: the SQL that SearchTask runs (services.tasks.vectors.nearest), and
     SearchTask end to end (gRPC, by row_index, owner checks included).
S-2  recall@10 of that index against an exact scan of the same vectors (target ≥ 0.95).
S-3  rows/s of an embedding batch task that stores its vectors ÷ rows/s of the same task on a
     platform that does not (TASKS_WORKER_STORE_VECTORS=false), BENCH_SEARCH_TASK_ROWS rows
     each (target ≥ 0.9). Both platforms are up at once (each has its own PostgreSQL, NATS,
     Triton and ports) and the legs alternate A B, B A, A B … for BENCH_SEARCH_ROUNDS rounds:
     a slow phase of a shared machine lands on both legs, not on whichever ran second.

Where the 100,000 vectors come from: embedding 100,000 reviews through the platform takes
~20 minutes on this machine's CPUs (~80 rows/s), so this leg embeds 2,048 real reviews
through Triton and stores, for each row, a random blend of two of them plus a little noise,
normalised: all distinct, on the manifold of real review embeddings. The index is built the
way a finished task's is (VectorIndexes.ensure).
"""

import asyncio
import os
import statistics
import sys
import time
import uuid

import grpc
import httpx
import numpy as np
import psycopg
import tritonclient.grpc.aio as triton_aio
from pgvector.psycopg import register_vector_async
from psycopg.types.json import Jsonb
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.inference import reviews, token, triton_request
from bench.rounds import Spread
from bench.stack import Stack
from bench.tasks import review_dataset, until_terminal
from inferlane.common.db import make_engine
from inferlane.tasks.v1 import tasks_service_pb2 as pb
from inferlane.tasks.v1 import tasks_service_pb2_grpc
from inferlane.tasks.v1 import tasks_types_pb2 as types
from services.tasks import vectors
from services.tasks.vector_index import VectorIndexes, index_name

ROWS = int(os.environ.get("BENCH_SEARCH_ROWS", "100000"))
TASK_ROWS = int(os.environ.get("BENCH_SEARCH_TASK_ROWS", "3000"))
S3_ROUNDS = int(os.environ.get("BENCH_SEARCH_ROUNDS", "3"))
WARM_UP_ROWS = 512  # S-3's untimed first task on each platform
INDEX_WAIT_S = 600  # a storing task's HNSW build, waited for so it never overlaps the next leg
BASE_REVIEWS, EMBED_BATCH = 2048, 64
QUERIES, K = 200, 10
RPC_SAMPLES = 100
NOISE = 0.01  # per dimension: a blend moves ~0.2 away from its two reviews


Row = tuple[str, str, str, str, str]


async def embed(stack: Stack, texts: list[str]) -> np.ndarray:
    triton = triton_aio.InferenceServerClient(stack.triton_url)
    try:
        parts = []
        for i in range(0, len(texts), EMBED_BATCH):
            reply = await triton.infer("embedding", triton_request(texts[i : i + EMBED_BATCH]))
            parts.append(reply.as_numpy("EMBEDDING"))
    finally:
        await triton.close()
    return np.concatenate(parts).astype(np.float32)


def blends(base: np.ndarray, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """n normalised blends of two base vectors plus noise, and the first base of each."""
    rng = np.random.default_rng(seed)
    first, second = rng.integers(len(base), size=n), rng.integers(len(base), size=n)
    weight = rng.uniform(0.5, 1.0, size=(n, 1)).astype(np.float32)
    mixed = weight * base[first] + (1 - weight) * base[second]
    mixed += rng.normal(0, NOISE, size=mixed.shape).astype(np.float32)
    return mixed / np.linalg.norm(mixed, axis=1, keepdims=True), first


async def owner_id(stack: Stack, bearer: str) -> str:
    async with httpx.AsyncClient(base_url=stack.gateway_url) as http:
        me = await http.get("/api/v1/auth/me", headers={"authorization": f"Bearer {bearer}"})
        me.raise_for_status()
        return str(me.json()["id"])


async def store(database_url: str, owner: str, rows: np.ndarray, texts: list[str]) -> uuid.UUID:
    """A ready embedding task owning `rows` as its vectors (COPY: seconds, not minutes)."""
    task_id = uuid.uuid4()
    async with await psycopg.AsyncConnection.connect(database_url) as conn:
        await register_vector_async(conn)
        await conn.execute(
            "INSERT INTO tasks.tasks (id, owner_id, type, model, status, column_name, total,"
            " done, chunks_total, chunks_done) VALUES (%s, %s, 'batch', 'embedding', 'ready',"
            " 'review', %s, %s, 1, 1)",
            [task_id, owner, len(rows), len(rows)],
        )
        async with conn.cursor().copy(
            "COPY tasks.task_results (task_id, row_index, input) FROM STDIN"
        ) as copy:
            for i, review in enumerate(texts):
                await copy.write_row((task_id, i, Jsonb({"review": review})))
        async with conn.cursor().copy(
            "COPY tasks.task_vectors (task_id, row_index, embedding)"
            " FROM STDIN WITH (FORMAT BINARY)"
        ) as copy:
            copy.set_types(["uuid", "int8", "vector"])
            for i, vector in enumerate(rows):
                await copy.write_row((task_id, i, vector))
    return task_id


async def nearest_rows(engine: AsyncEngine, task_id: uuid.UUID, query: np.ndarray, exact: bool):
    async with engine.begin() as conn:
        if exact:  # no index scan: the whole task's vectors, sorted
            await conn.execute(text("SET LOCAL enable_indexscan = off"))
        start = time.perf_counter()
        found = await vectors.nearest(conn, task_id, vectors.literal(query.tolist()), K)
        return [n.row_index for n in found], (time.perf_counter() - start) * 1000


async def uses_index(engine: AsyncEngine, task_id: uuid.UUID, query: np.ndarray) -> bool:
    plan_sql = "EXPLAIN " + vectors.BY_INDEX.format(task=vectors.task_predicate(task_id))
    params = {
        "task": task_id,
        "q": vectors.literal(query.tolist()),
        "limit": K,
        "exclude": -1,
        "min": -2,
    }
    async with engine.begin() as conn:
        await conn.execute(text("SET LOCAL hnsw.ef_search = 64"))
        plan = "\n".join(r[0] for r in await conn.execute(text(plan_sql), params))
    return index_name(task_id) in plan


async def search_figures(
    engine: AsyncEngine, task_id: uuid.UUID, queries: np.ndarray
) -> tuple[list[float], list[float], float]:
    """(ms of each search by the index, ms of each exact scan, mean recall@K of the index)."""
    if not await uses_index(engine, task_id, queries[0]):
        raise RuntimeError("the search did not use the task's HNSW index")
    recalls, index_ms, exact_ms = [], [], []
    for query in queries:
        approx, ms = await nearest_rows(engine, task_id, query, exact=False)
        truth, slow_ms = await nearest_rows(engine, task_id, query, exact=True)
        recalls.append(len(set(approx) & set(truth)) / K)
        index_ms.append(ms)
        exact_ms.append(slow_ms)
    return index_ms, exact_ms, statistics.mean(recalls)


async def stored_figures(database_url: str, task_id: uuid.UUID) -> list[tuple[str, ...]]:
    """S-1 (SQL) and S-2 again over a task already stored and indexed (a kept bench data
    directory): queries are stored vectors moved by noise, so none is in the set."""
    engine = make_engine(database_url)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(
                text(
                    "SELECT embedding::text FROM tasks.task_vectors WHERE task_id = :t"
                    " ORDER BY random() LIMIT :n"
                ),
                {"t": task_id, "n": QUERIES},
            )
            picked = np.array([np.fromstring(r[0][1:-1], sep=",") for r in rows], np.float32)
        rng = np.random.default_rng(3)
        moved = picked + rng.normal(0, NOISE, size=picked.shape).astype(np.float32)
        queries = moved / np.linalg.norm(moved, axis=1, keepdims=True)
        index_ms, exact_ms, recall = await search_figures(engine, task_id, queries)
    finally:
        await engine.dispose()
    return [
        (
            f"S-1 search SQL, k={K} (p50 / p99)",
            f"{p(index_ms, 50):.1f} / {p(index_ms, 99):.1f} ms",
            f"{p(exact_ms, 50):.1f} / {p(exact_ms, 99):.1f} ms",
            f"{p(exact_ms, 50) / p(index_ms, 50):.1f}x faster",
            "",
        ),
        (f"S-2 recall@{K}, {len(queries)} queries", f"{recall:.3f}", "1 (exact)", "", "≥ 0.95"),
    ]


def p(values: list[float], q: float) -> float:
    return float(np.percentile(values, q))


async def search_rpc_ms(stack: Stack, bearer: str, task_id: uuid.UUID) -> list[float]:
    metadata = [("authorization", f"Bearer {bearer}")]
    rng = np.random.default_rng(7)
    times = []
    async with grpc.aio.insecure_channel(stack.addresses["tasks"]) as channel:
        stub = tasks_service_pb2_grpc.TasksServiceStub(channel)
        for row in rng.integers(ROWS, size=RPC_SAMPLES):
            request = pb.SearchTaskRequest(task_id=str(task_id), row_index=int(row), k=K)
            start = time.perf_counter()
            await stub.SearchTask(request, metadata=metadata)
            times.append((time.perf_counter() - start) * 1000)
    return times


async def embedding_task(stack: Stack, rows: int = TASK_ROWS) -> tuple[float, uuid.UUID]:
    """rows/s of one embedding batch task over `rows` reviews, submit -> ready; its id."""
    async with review_dataset(stack, rows) as data:
        start = time.perf_counter()
        spec = pb.BatchTaskSpec(model="embedding", dataset_id=data.dataset_id, column="review")
        created = await data.tasks.CreateTask(
            pb.CreateTaskRequest(batch=spec), metadata=data.metadata
        )
        done = await until_terminal(data.tasks, data.metadata, created.task.id)
        seconds = time.perf_counter() - start
    if done.status != types.TASK_STATUS_READY or done.progress.done != rows:
        raise RuntimeError(f"the embedding task ended as {done}")
    return rows / seconds, uuid.UUID(created.task.id)


async def run(stack: Stack) -> list[Row]:
    """S-1 and S-2 on a platform that stores vectors."""
    texts = reviews(BASE_REVIEWS)
    base = await embed(stack, texts)
    stored, first = blends(base, ROWS, seed=1)
    bearer = await token(stack)
    task_id = await store(
        stack.database_url, await owner_id(stack, bearer), stored, [texts[i] for i in first]
    )
    engine = make_engine(stack.database_url)
    try:
        start = time.perf_counter()
        await VectorIndexes(engine, 1).ensure(task_id)
        build_s = time.perf_counter() - start
        queries, _ = blends(base, QUERIES, seed=2)
        index_ms, exact_ms, recall = await search_figures(engine, task_id, queries)
    finally:
        await engine.dispose()
    rpc_ms = await search_rpc_ms(stack, bearer, task_id)
    return [
        (
            f"S-1 search SQL, {ROWS:,} vectors, k={K} (p50 / p99)",
            f"{p(index_ms, 50):.1f} / {p(index_ms, 99):.1f} ms",
            f"{p(exact_ms, 50):.1f} / {p(exact_ms, 99):.1f} ms",
            f"{p(exact_ms, 50) / p(index_ms, 50):.1f}x faster",
            "",
        ),
        (
            "S-1 SearchTask by row, end to end (p50 / p99)",
            f"{p(rpc_ms, 50):.1f} / {p(rpc_ms, 99):.1f} ms",
            "",
            "",
            "",
        ),
        (f"S-2 recall@{K}, {QUERIES} queries", f"{recall:.3f}", "1 (exact)", "", "≥ 0.95"),
        (f"HNSW build, {ROWS:,} vectors", f"{build_s:.1f} s", "", "", ""),
    ]


async def index_built(stack: Stack, task_id: uuid.UUID) -> None:
    """Wait for the worker's background HNSW build of a finished storing task (not timed)."""
    engine = make_engine(stack.database_url)
    try:
        indexes, deadline = VectorIndexes(engine, 1), time.monotonic() + INDEX_WAIT_S
        while await indexes.state(task_id) is not True:
            if time.monotonic() > deadline:
                raise TimeoutError(f"no HNSW index for task {task_id} after {INDEX_WAIT_S} s")
            await asyncio.sleep(0.5)
    finally:
        await engine.dispose()


async def storing_vs_not(storing: Stack, plain: Stack, rounds: int = S3_ROUNDS) -> list[Row]:
    """S-3: one task on each platform per round, the order flipped every round (A B, B A …)."""

    async def storing_leg() -> float:
        rps, task_id = await embedding_task(storing)
        if TASK_ROWS >= 1000:  # the worker's default vector_index_min_rows
            await index_built(storing, task_id)
        return rps

    async def plain_leg() -> float:
        return (await embedding_task(plain))[0]

    # Untimed, on both: the first task of a fresh platform pays for cold pools and Triton's
    # first batches, which would otherwise land on round 1's first leg only.
    await asyncio.gather(embedding_task(storing, WARM_UP_ROWS), embedding_task(plain, WARM_UP_ROWS))
    stored: list[float] = []
    not_stored: list[float] = []
    for round_ in range(rounds):
        legs = [(storing_leg, stored), (plain_leg, not_stored)]
        for leg, values in legs if round_ % 2 == 0 else legs[::-1]:
            values.append(await leg())
        print(
            f"S-3 round {round_ + 1}: storing {stored[-1]:,.1f} rows/s, not {not_stored[-1]:,.1f}"
            f" rows/s, {stored[-1] / not_stored[-1]:.2f}x",
            flush=True,
        )
    return ratio_rows(Spread(tuple(stored)), Spread(tuple(not_stored)))


def ratio_rows(stored: Spread, not_stored: Spread) -> list[Row]:
    """The ratio of the medians, then each round's own ratio (how much the rounds agree)."""
    per_round = ", ".join(
        f"{a / b:.2f}" for a, b in zip(stored.values, not_stored.values, strict=True)
    )
    return [
        (
            f"S-3 embedding task, {TASK_ROWS:,} rows: storing ÷ not "
            f"({len(stored.values)} rounds, medians)",
            stored.show("rows/s", 1),
            not_stored.show("rows/s", 1),
            f"{stored.median / not_stored.median:.2f}x",
            "≥ 0.9",
        ),
        ("S-3 each round's ratio (storing ÷ not)", "", "", per_round, ""),
    ]


HEADER = ("metric", "HNSW / storing", "exact / not storing", "ratio", "target")


def measure() -> list[Row]:
    """Both platforms up at once for S-3 (first, while both are fresh); then S-1 and S-2."""
    from bench.stack import running_stack

    with running_stack() as stack:
        with running_stack(TASKS_WORKER_STORE_VECTORS="false") as plain:
            ratio = asyncio.run(storing_vs_not(stack, plain))
        return [*asyncio.run(run(stack)), *ratio]


def main() -> None:
    from bench.__main__ import table  # the report's one table format

    if len(sys.argv) == 3:  # DATABASE_URL TASK_ID: re-measure a kept, indexed task
        stored = asyncio.run(stored_figures(sys.argv[1], uuid.UUID(sys.argv[2])))
        print(table(stored, HEADER))
        return
    rows = measure()
    print(
        f"\nSearch (embedding; {ROWS:,} stored vectors, {TASK_ROWS:,}-row tasks; S-3: both "
        f"platforms up at once, {S3_ROUNDS} rounds alternating A B / B A)\n"
    )
    print(table(rows, HEADER))


if __name__ == "__main__":
    main()
