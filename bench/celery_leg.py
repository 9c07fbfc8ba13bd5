"""The Celery leg's processes: its own redis-server on a free port and one worker process.

The worker runs Celery's solo pool (one process, one task at a time, no fork), the
leanest setup for a CPU-bound model on few cores; the bench process is the client.
"""

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import redis
from celery import Celery, group

from bench.celery_app import app, predict
from tests.support.waiting import free_port

RESULT_TIMEOUT = 600.0


def _redis(port: int, data: Path) -> subprocess.Popen[bytes]:
    binary = shutil.which("redis-server") or "/usr/bin/redis-server"
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        cwd=data,
        stdout=(data / "redis.log").open("wb"),
        stderr=subprocess.STDOUT,
    )
    client = redis.Redis(port=port)
    deadline = time.monotonic() + 30
    while True:
        try:
            client.ping()
            return process
        except redis.ConnectionError as exc:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not start: see {data / 'redis.log'}") from exc
            time.sleep(0.1)


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        process.kill()


@contextmanager
def celery_worker(threads: int) -> Iterator[Celery]:
    """Redis and one Celery worker (ONNX Runtime with `threads` intra-op threads), warm."""
    data = Path(tempfile.mkdtemp(prefix="inferlane-bench-celery-"))
    url = f"redis://127.0.0.1:{free_port()}/0"
    server = _redis(int(url.rsplit(":", 1)[1].split("/")[0]), data)
    env = os.environ | {"BENCH_CELERY_BROKER": url, "BENCH_L0_THREADS": str(threads)}
    worker = subprocess.Popen(
        [
            *(sys.executable, "-m", "celery", "-A", "bench.celery_app", "worker"),
            *("--pool=solo", "--loglevel=WARNING", "--hostname", f"bench-{os.getpid()}@%h"),
        ],
        env=env,
        stdout=(data / "worker.log").open("wb"),
        stderr=subprocess.STDOUT,
    )
    app.conf.update(broker_url=url, result_backend=url)
    try:
        predict.delay(["warm the model"]).get(timeout=180)
        yield app
    finally:
        _stop(worker)
        _stop(server)


def batch_seconds(chunks: list[list[str]]) -> float:
    """Every chunk as one task, all sent at once: seconds until every result is back."""
    start = time.perf_counter()
    group(predict.s(chunk) for chunk in chunks).apply_async().get(timeout=RESULT_TIMEOUT)
    return time.perf_counter() - start


def single_ms(text: str) -> float:
    start = time.perf_counter()
    predict.delay([text]).get(timeout=RESULT_TIMEOUT)
    return (time.perf_counter() - start) * 1000


def many_singles_seconds(texts: list[str]) -> float:
    """One task per text, all sent at once: seconds until the last result is back."""
    return batch_seconds([[t] for t in texts])
