"""`python -m bench.gpu`: the text models on a GPU, through Triton and in-process, one run.

Starts tritonserver (from the nvidia-pytriton wheel) on the model repository with
`--model-config-name=gpu` (sentiment and embedding on the GPU, torch fp16), then:
- fidelity: dev reviews through Triton on the GPU against the CPU path (ONNX Runtime,
  in-process, the same 256-row batches): sentiment macro-F1 of both, embedding cosine;
- speed, legs interleaved in rounds so drift cancels (medians and spread reported):
  L0 the same network in-process on the same GPU (tokenise + forward, batches of 256),
  T1 Triton gRPC with batches of 256 and several in flight,
  T2 Triton gRPC with single rows, many in flight, batched by Triton's dynamic batcher
  (client processes in parallel so the client is not the limit).

Needs torch + transformers with CUDA, tritonclient[grpc] and the tritonserver wheel; see
docs/benchmarks.md for the exact command on the GPU machine. Writes one JSON with every
figure (`--out`).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import json
import multiprocessing
import os
import socket
import statistics
import subprocess
import sys
import sysconfig
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from tools.devstack import binaries, embedded

REPO = Path(__file__).resolve().parents[1]
MODELS = embedded.MODEL_REPOSITORY
DEV_CSV = REPO.parent / "shared" / "data" / "reviews" / "dev.csv"
LABELS = ["negative", "neutral", "positive"]
BATCH = 256


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def gpu_triton(log_path: Path, config: str) -> Iterator[str]:
    """tritonserver with sentiment and embedding from their `config` configs (gpu; "" for
    the default config.pbtxt, a smoke test on a machine without a GPU); yields its URL."""
    import tritonclient.grpc as triton_grpc

    grpc_port = free_port()
    command = [
        *embedded.triton_command(free_port(), grpc_port, free_port()),
        *([f"--model-config-name={config}"] if config else []),
        "--model-control-mode=explicit",
        "--load-model=sentiment",
        "--load-model=embedding",
        "--log-info=true",  # the models log which runtime and numpy they got
    ]
    site_packages = [p for p in sys.path if p.endswith("-packages")]
    if extra := os.environ.get("INFERLANE_TRITON_SITE_PACKAGES"):  # the models' own packages
        site_packages = extra.split(os.pathsep)
    env = {
        **os.environ,
        # The models import the platform's runtime (repo root) and this interpreter's packages.
        "PYTHONPATH": os.pathsep.join([str(REPO), *site_packages]),
        # The python-backend stub links libpython of the same minor version: the system's
        # first (a pyenv build of it corrupts string tensors), else this interpreter's.
        "LD_LIBRARY_PATH": os.pathsep.join(
            filter(
                None,
                [
                    binaries.triton_env()["LD_LIBRARY_PATH"],
                    sysconfig.get_config_var("LIBDIR"),
                ],
            )
        ),
    }
    with log_path.open("wb") as log:
        server = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
    url = f"127.0.0.1:{grpc_port}"
    client = triton_grpc.InferenceServerClient(url)
    try:
        deadline = time.monotonic() + 300
        while True:
            if server.poll() is not None:
                raise RuntimeError(f"tritonserver exited:\n{log_path.read_text()[-4000:]}")
            with contextlib.suppress(Exception):  # not listening yet
                if client.is_model_ready("sentiment") and client.is_model_ready("embedding"):
                    break
            if time.monotonic() > deadline:
                raise RuntimeError(f"Triton not ready:\n{log_path.read_text()[-4000:]}")
            time.sleep(0.5)
        yield url
    finally:
        client.close()
        server.terminate()
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()


def dev_set() -> tuple[list[str], list[str]]:
    with Path(os.environ.get("INFERLANE_REVIEWS_DEV", DEV_CSV)).open(
        newline="", encoding="utf-8"
    ) as f:
        rows = list(csv.DictReader(f))
    return [r["text"] for r in rows], [r["label"] for r in rows]


def macro_f1(truth: list[str], predicted: list[str]) -> float:
    scores = []
    for label in LABELS:
        tp = sum(t == label and p == label for t, p in zip(truth, predicted, strict=True))
        fp = sum(t != label and p == label for t, p in zip(truth, predicted, strict=True))
        fn = sum(t == label and p != label for t, p in zip(truth, predicted, strict=True))
        scores.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return sum(scores) / len(scores)


def triton_inputs(texts: list[str]) -> list:
    import tritonclient.grpc as triton_grpc

    data = np.array([[t.encode()] for t in texts], dtype=object)
    tensor = triton_grpc.InferInput("TEXT", list(data.shape), "BYTES")
    tensor.set_data_from_numpy(data)
    return [tensor]


def through_triton(url: str, model: str, output: str, texts: list[str]) -> np.ndarray:
    import tritonclient.grpc as triton_grpc

    client = triton_grpc.InferenceServerClient(url)
    parts = [
        client.infer(model, triton_inputs(texts[i : i + BATCH])).as_numpy(output)
        for i in range(0, len(texts), BATCH)
    ]
    client.close()
    return np.concatenate(parts)


def in_process_cpu(model: str, output: str, texts: list[str]) -> np.ndarray:
    """The CPU path (ONNX Runtime), fed the same 256-row batches Triton gets."""
    from services.inference.runtime.text_onnx import TextModel

    runtime = TextModel(
        MODELS / model / "1", output, "CPU", 0, MODELS / "minilm-encoder-layers-1-4.onnx"
    )
    return np.concatenate([runtime.run(texts[i : i + BATCH]) for i in range(0, len(texts), BATCH)])


def fidelity(url: str) -> dict:
    texts, labels = dev_set()
    gpu = through_triton(url, "sentiment", "PROBABILITIES", texts)
    cpu = in_process_cpu("sentiment", "probabilities", texts)
    f1_gpu = macro_f1(labels, [LABELS[i] for i in gpu.argmax(1)])
    f1_cpu = macro_f1(labels, [LABELS[i] for i in cpu.argmax(1)])
    gpu_e = through_triton(url, "embedding", "EMBEDDING", texts)
    cpu_e = in_process_cpu("embedding", "embedding", texts)
    cos = (gpu_e * cpu_e).sum(1) / np.linalg.norm(gpu_e, axis=1) / np.linalg.norm(cpu_e, axis=1)
    return {
        "rows": len(texts),
        "sentiment_macro_f1_gpu": round(f1_gpu, 4),
        "sentiment_macro_f1_cpu": round(f1_cpu, 4),
        "sentiment_label_agreement": round(float((gpu.argmax(1) == cpu.argmax(1)).mean()), 4),
        "sentiment_max_abs_probability_diff": round(float(np.abs(gpu - cpu).max()), 4),
        "embedding_cosine_mean": round(float(cos.mean()), 6),
        "embedding_cosine_min": round(float(cos.min()), 6),
        "embedding_cosine_p1": round(float(np.percentile(cos, 1)), 6),
    }


def rows(n: int) -> list[str]:
    texts, _ = dev_set()
    return (texts * (n // len(texts) + 1))[:n]


class InProcess:
    """L0: the GPU runtime called directly, batches of 256 (tokenising included)."""

    def __init__(self, model: str, output: str, device: str) -> None:
        from services.inference.runtime.text_torch import TorchTextModel

        self.model = TorchTextModel(
            MODELS / model / "1",
            output,
            0,
            MODELS / "minilm-encoder-layers-1-4.onnx",
            device=device,
        )

    def __call__(self, texts: list[str]) -> float:
        start = time.perf_counter()
        for i in range(0, len(texts), BATCH):
            self.model.run_tensor(texts[i : i + BATCH])  # ends with a copy to the host
        return len(texts) / (time.perf_counter() - start)


async def _batched(url: str, model: str, texts: list[str], in_flight: int) -> float:
    import tritonclient.grpc.aio as triton_aio

    client = triton_aio.InferenceServerClient(url)
    batches = [triton_inputs(texts[i : i + BATCH]) for i in range(0, len(texts), BATCH)]
    gate = asyncio.Semaphore(in_flight)

    async def one(inputs: list) -> None:
        async with gate:
            await client.infer(model, inputs)

    start = time.perf_counter()
    await asyncio.gather(*(one(b) for b in batches))
    elapsed = time.perf_counter() - start
    await client.close()
    return len(texts) / elapsed


def _single_rows_worker(args: tuple[str, str, list[str], int]) -> tuple[float, float, int]:
    """One client process: every text as its own request, `in_flight` at a time."""
    url, model, texts, in_flight = args
    import tritonclient.grpc.aio as triton_aio

    async def go() -> tuple[float, float, int]:
        client = triton_aio.InferenceServerClient(url)
        inputs = [triton_inputs([t]) for t in texts]
        gate = asyncio.Semaphore(in_flight)
        errors = 0

        async def one(x: list) -> None:
            nonlocal errors
            async with gate:
                try:
                    await client.infer(model, x)
                except Exception:
                    errors += 1

        start = time.perf_counter()
        await asyncio.gather(*(one(x) for x in inputs))
        end = time.perf_counter()
        await client.close()
        return start, end, errors

    return asyncio.run(go())


def single_rows(pool, url: str, model: str, texts: list[str], procs: int, in_flight: int) -> float:
    share = len(texts) // procs
    parts = [(url, model, texts[i * share : (i + 1) * share], in_flight) for i in range(procs)]
    results = pool.map(_single_rows_worker, parts)
    if sum(r[2] for r in results):
        raise RuntimeError(f"{sum(r[2] for r in results)} single-row requests failed")
    return share * procs / (max(r[1] for r in results) - min(r[0] for r in results))


def speed(url: str, args: argparse.Namespace) -> dict:
    texts = rows(args.rows)
    single = rows(args.single_rows)
    legs: dict[str, dict[str, list[float]]] = {}
    pool = multiprocessing.get_context("spawn").Pool(args.client_processes)
    for model, output in (("sentiment", "probabilities"), ("embedding", "embedding")):
        local = InProcess(model, output, args.device)
        local(texts[: BATCH * 8])  # warm-up: CUDA kernels, allocator
        asyncio.run(_batched(url, model, texts[: BATCH * 8], args.in_flight))
        found: dict[str, list[float]] = {"L0": [], "T1": [], "T2": []}
        for _ in range(args.rounds):  # A B C A B C ...: drift hits every leg alike
            found["L0"].append(local(texts))
            found["T1"].append(asyncio.run(_batched(url, model, texts, args.in_flight)))
            found["T2"].append(
                single_rows(pool, url, model, single, args.client_processes, args.single_in_flight)
            )
        legs[model] = found
        del local
    pool.close()
    summary = {}
    for model, found in legs.items():
        med = {leg: statistics.median(v) for leg, v in found.items()}
        summary[model] = {
            "rows_per_second_median": {k: round(v) for k, v in med.items()},
            "rows_per_second_all": {k: [round(x) for x in v] for k, v in found.items()},
            "triton_batched_over_in_process": round(med["T1"] / med["L0"], 3),
            "single_rows_over_batched": round(med["T2"] / med["T1"], 3),
        }
    return summary


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--rows", type=int, default=65_536, help="rows per batched leg and round")
    p.add_argument("--single-rows", type=int, default=32_768, help="rows per single-row leg")
    p.add_argument("--in-flight", type=int, default=8, help="256-row requests in flight")
    p.add_argument("--client-processes", type=int, default=8)
    p.add_argument("--single-in-flight", type=int, default=256, help="per client process")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--model-config", default="gpu", help='"" for config.pbtxt (smoke test)')
    p.add_argument("--device", default="cuda", help="of the in-process leg (cpu: smoke test)")
    p.add_argument("--out", type=Path, default=Path("gpu-bench.json"))
    p.add_argument("--log", type=Path, default=Path("triton-gpu.log"))
    args = p.parse_args()

    import torch

    binaries.triton_backends()  # the stub for this Python in place
    report: dict = {
        "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
        "torch": torch.__version__,
        "python": sys.version.split()[0],
        "numpy": np.__version__,
        "cpu_count": os.cpu_count(),
        "command": " ".join(sys.argv),
    }
    with gpu_triton(args.log, args.model_config) as url:
        # Proof of placement: each model instance on the GPU is a process holding GPU memory.
        smi = subprocess.run(
            ["nvidia-smi", "--query-compute-apps=pid,used_memory", "--format=csv,noheader"],
            capture_output=True,
            text=True,
            check=False,
        )
        report["gpu_processes_after_load"] = smi.stdout.strip().splitlines()
        report["fidelity"] = fidelity(url)
        print(json.dumps(report["fidelity"], indent=1), flush=True)
        report["speed"] = speed(url, args)
    args.out.write_text(json.dumps(report, indent=1))
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
