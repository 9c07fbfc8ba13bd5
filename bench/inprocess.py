"""L0: the served sentiment graph called in-process (tokenise + ONNX Runtime), no server.

The same files Triton serves (the latest version folder of the model, its shared encoder),
the same runtime class (services/inference/runtime/text_onnx.py), on the same rows. Before
measuring, the bench tries each batch size and intra-op thread count on a sample and keeps
the fastest, so L0 is the best this code does on this machine: the reference every leg is
divided by.
"""

import os
import re
import time
from dataclasses import dataclass
from pathlib import Path

from services.inference.runtime.text_onnx import TextModel

REPOSITORY = Path(__file__).resolve().parents[1] / "services" / "inference" / "model_repository"
BATCHES = (32, 64, 256)
SAMPLE = int(os.environ.get("BENCH_L0_SAMPLE", "256"))  # rows per tried setting


def served_version(model_dir: Path) -> Path:
    """Triton's default version policy serves the highest numbered version."""
    versions = [d for d in model_dir.iterdir() if d.name.isdigit() and (d / "model.onnx").exists()]
    return max(versions, key=lambda d: int(d.name))


def _setting(text: str, pattern: str) -> str | None:
    found = re.search(pattern, text)
    return found.group(1) if found else None


def load(model: str, threads: int) -> TextModel:
    model_dir = REPOSITORY / model
    version = served_version(model_dir)
    config = (model_dir / "config.pbtxt").read_text()
    shared = _setting(config, r'"shared_encoder"\s*value:\s*\{\s*string_value:\s*"([^"]+)"')
    output = _setting((version / "model.py").read_text(), r'ONNX_OUTPUT\s*=\s*"([^"]+)"')
    return TextModel(
        version,
        output or "probabilities",
        "CPU",
        0,
        shared_encoder=REPOSITORY / shared if shared else None,
        threads=threads,
    )


@dataclass
class InProcess:
    model: TextModel
    batch: int
    threads: int

    def seconds(self, texts: list[str]) -> float:
        start = time.perf_counter()
        for i in range(0, len(texts), self.batch):
            self.model.run(texts[i : i + self.batch])
        return time.perf_counter() - start

    def rows_per_s(self, texts: list[str]) -> float:
        return len(texts) / self.seconds(texts)

    def describe(self) -> str:
        return f"batch {self.batch}, {self.threads or 'default'} threads"


def tuned(texts: list[str], model: str = "sentiment") -> InProcess:
    """The fastest (batch size, intra-op threads) on the first SAMPLE rows."""
    sample = texts[:SAMPLE]
    best: tuple[float, InProcess] | None = None
    for threads in sorted({1, os.cpu_count() or 1}):
        loaded = load(model, threads)
        loaded.run(sample[:8])  # the first run allocates
        for batch in BATCHES:
            candidate = InProcess(loaded, batch, threads)
            rate = candidate.rows_per_s(sample)
            if best is None or rate > best[0]:
                best = (rate, candidate)
    assert best is not None
    return best[1]
