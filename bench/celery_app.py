"""The Celery + Redis comparison: what a team would build instead of the platform.

One task, `bench.predict`, runs the same served graph in-process (bench/inprocess.py) on a
list of texts and returns the probabilities. Celery's settings are its defaults (acks before
the work, results in Redis as JSON); the broker URL comes from the bench that starts Redis.
"""

import os

from celery import Celery

from bench import inprocess
from services.inference.runtime.text_onnx import TextModel

BROKER = os.environ.get("BENCH_CELERY_BROKER", "redis://127.0.0.1:6379/0")
app = Celery("inferlane-bench", broker=BROKER, backend=BROKER)
_model: list[TextModel] = []  # loaded once per worker process, on its first task


@app.task(name="bench.predict")
def predict(texts: list[str]) -> list[list[float]]:
    if not _model:
        _model.append(inprocess.load("sentiment", int(os.environ.get("BENCH_L0_THREADS", "0"))))
    return [[float(p) for p in row] for row in _model[0].run(texts)]
