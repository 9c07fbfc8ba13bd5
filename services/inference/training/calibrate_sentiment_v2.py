"""Sentiment v2, step 3: calibrate the decision without retraining the transformer.

    .venv-train/bin/python -m services.inference.training.calibrate_sentiment_v2 [--write]

(`make calibrate-sentiment`; needs numpy, onnxruntime, tokenizers and scikit-learn, not torch.)

Three cheap levers, all chosen on the holdout of train (train_sentiment_v2.py's stratified
15 %, which the fine-tune never reads: it has no early stopping, the last epoch is the model):
  1. the TF-IDF weight in the blend, on a finer grid than the export's;
  2. per-class additive logit biases (prior correction), on a finer grid;
  3. the TF-IDF logistic regression's C and class_weight, refit on the same 85 % of train.

Choosing many numbers on 2,376 rows overfits them, so each candidate (a TF-IDF fit, tuned
by levers 1-2) is judged by an honest estimate: stratified k-fold inside the holdout (tune on
k-1 folds, predict the k-th; macro-F1 of the pooled out-of-fold predictions). The shipped
blend is measured the same way (the export's coarse grid on the shipped TF-IDF). Only a
candidate that beats it by --margin is written; its weight and bias are then tuned on the
whole holdout. Dev is read once, after the choice, to report before and after.

Writes (with --write) blend.json, tfidf.npz when the refit is chosen, and metrics.json's
figures in --out (model_repository/sentiment/2). Holdout outputs are cached in --cache.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from services.inference.runtime import text_v2
from services.inference.runtime.tfidf import TfidfScorer
from services.inference.training.sentiment_v2_blend import (
    BIASES,
    WEIGHTS,
    f1_table,
    report,
    tune_blend,
)
from services.inference.training.sentiment_v2_split import (
    DATA,
    SEED,
    holdout_split,
    log,
    read_split,
)

REPOSITORY = Path(__file__).resolve().parents[1] / "model_repository"
SHARED_ENCODER = REPOSITORY / "minilm-encoder-layers-1-4.onnx"
FINE_WEIGHTS = np.round(np.arange(0.0, 0.601, 0.025), 3)
FINE_BIASES = np.round(np.arange(-1.5, 0.501, 0.05), 2)
TFIDF_CANDIDATES: tuple[tuple[float, str | None], ...] = (  # (C, class_weight)
    (0.5, "balanced"),
    (1.0, "balanced"),
    (2.0, "balanced"),  # what the export fits
    (4.0, "balanced"),
    (8.0, "balanced"),
    (2.0, None),
)
FOLDS = 5


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--train", type=Path, default=DATA / "train.csv")
    p.add_argument("--dev", type=Path, default=DATA / "dev.csv")
    p.add_argument("--out", type=Path, default=REPOSITORY / "sentiment" / "2")
    p.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "sentiment-v2-cal")
    p.add_argument("--seed", type=int, default=SEED, help="the training split's seed")
    p.add_argument("--margin", type=float, default=0.005, help="k-fold macro-F1 gain required")
    p.add_argument("--write", action="store_true", help="write the chosen calibration to --out")
    return p.parse_args(argv)


def folds(y: NDArray[np.int64], k: int, seed: int) -> NDArray[np.int64]:
    """A fold number per row, stratified by class, seeded."""
    rng = np.random.default_rng([seed, k])
    out = np.zeros(len(y), dtype=np.int64)
    for c in np.unique(y):
        idx = rng.permutation(np.flatnonzero(y == c))
        out[idx] = np.arange(len(idx)) % k
    return out


def kfold_macro_f1(
    y: NDArray[np.int64],
    enc: NDArray[np.float32],
    tfidf: NDArray[np.float64],
    fold: NDArray[np.int64],
    weights: NDArray[np.float64],
    biases: NDArray[np.float64],
) -> float:
    """Macro-F1 of out-of-fold predictions: each fold decided by the blend tuned on the rest."""
    pred = np.zeros(len(y), dtype=np.int64)
    for f in np.unique(fold):
        rest, this = fold != f, fold == f
        w, b, _ = tune_blend(y[rest], enc[rest], tfidf[rest], weights, biases)
        pred[this] = (enc[this] + w * tfidf[this] + b).argmax(axis=1)
    return float(f1_table(y, pred[None])[0].mean())


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


# Any dtype: whatever was saved. `...`: callers bind loop variables as lambda defaults,
# which mypy cannot fit to a no-argument Callable.
def cached(path: Path, compute: Callable[..., NDArray[Any]]) -> NDArray[Any]:
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        np.save(path, compute())
    return np.load(path)


def tfidf_candidates(
    args: argparse.Namespace, fit_texts: list[str], y_fit: NDArray[np.int64], hold_texts: list[str]
) -> dict[str, NDArray[np.float64]]:
    """Holdout log-probabilities of each TF-IDF candidate (vectorisers fitted once)."""
    name = {c: f"C={c[0]:g}, class_weight={c[1]}" for c in TFIDF_CANDIDATES}
    paths = {c: args.cache / f"tfidf-c{c[0]:g}-{c[1]}-seed{args.seed}.npy" for c in name}
    if not all(p.exists() for p in paths.values()):
        from services.inference.training.sentiment_v2_tfidf import TfidfModel, classifier

        model = TfidfModel(2.0, args.seed)
        x_fit, x_hold = model.features(fit_texts, fit=True), model.features(hold_texts)
        for c, path in paths.items():
            if not path.exists():
                log(f"fitting TF-IDF LR {name[c]}")
                np.save(
                    path,
                    classifier(c[0], args.seed, c[1]).fit(x_fit, y_fit).predict_log_proba(x_hold),
                )
    return {name[c]: np.load(p) for c, p in paths.items()}


def export_tfidf(
    args: argparse.Namespace,
    c: float,
    class_weight: str | None,
    fit_texts: list[str],
    y_fit: NDArray[np.int64],
    hold_texts: list[str],
    expected: NDArray[np.float64],
) -> None:
    """Refit the chosen TF-IDF model, export it to --out/tfidf.npz, check the numpy scorer."""
    from services.inference.training.sentiment_v2_tfidf import TfidfModel

    model = TfidfModel(c, args.seed, class_weight).fit(fit_texts, y_fit)
    model.export(args.out / "tfidf.npz")
    drift = float(
        np.abs(TfidfScorer(args.out / "tfidf.npz").log_probabilities(hold_texts) - expected).max()
    )
    log(f"TF-IDF: numpy scorer vs scikit-learn on the holdout, max |diff| {drift:.2e}")
    if drift > 1e-3:
        raise SystemExit("the numpy TF-IDF scorer disagrees with scikit-learn")


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    texts, labels = read_split(args.train)
    fit, hold = holdout_split(labels, args.seed)
    fit_texts, hold_texts = [texts[i] for i in fit], [texts[i] for i in hold]
    y_fit, y_hold = labels[fit], labels[hold]
    served = text_v2.SentimentV2(args.out, SHARED_ENCODER)
    tag = f"seed{args.seed}-{digest(args.out / 'model.onnx')}"
    enc = cached(
        args.cache / f"encoder-holdout-{tag}.npy", lambda: served.encoder.logits(hold_texts)
    )
    shipped_tfidf = cached(
        args.cache / f"tfidf-holdout-{tag}-{digest(args.out / 'tfidf.npz')}.npy",
        lambda: served.tfidf.log_probabilities(hold_texts),
    )
    fold = folds(y_hold, FOLDS, args.seed)
    log(f"holdout {len(hold)} rows, {FOLDS} folds")

    before: dict[str, Any] = {
        "procedure": (
            "shipped TF-IDF (C=2, balanced), export's grid (weight step 0.1, bias step 0.1)"
        ),
        "kfold_macro_f1": round(
            kfold_macro_f1(y_hold, enc, shipped_tfidf, fold, WEIGHTS, BIASES), 4
        ),
        "blend": {"tfidf_weight": served.tfidf_weight, "bias": served.bias.tolist()},
        "holdout": report(
            y_hold, text_v2.blend(enc, shipped_tfidf, served.tfidf_weight, served.bias)
        ),
    }
    log(f"before: k-fold macro-F1 {before['kfold_macro_f1']}")
    candidates: dict[str, dict[str, Any]] = {}
    tfidfs = {"shipped": shipped_tfidf, **tfidf_candidates(args, fit_texts, y_fit, hold_texts)}
    for name, lp in tfidfs.items():
        key = hashlib.sha256(lp.tobytes() + enc.tobytes()).hexdigest()[:16]
        score = float(
            cached(  # the slow part (minutes per candidate): reruns reuse it
                args.cache / f"kfold-{key}-{len(FINE_WEIGHTS)}x{len(FINE_BIASES)}.npy",
                lambda lp=lp: np.array(
                    [kfold_macro_f1(y_hold, enc, lp, fold, FINE_WEIGHTS, FINE_BIASES)]
                ),
            )[0]
        )
        candidates[name] = {"kfold_macro_f1": round(score, 4)}
        log(f"  TF-IDF {name}, fine grid: k-fold macro-F1 {score:.4f}")
    best = max(candidates, key=lambda n: candidates[n]["kfold_macro_f1"])
    gain = candidates[best]["kfold_macro_f1"] - before["kfold_macro_f1"]
    weight, bias, hold_f1 = tune_blend(y_hold, enc, tfidfs[best], FINE_WEIGHTS, FINE_BIASES)
    after: dict[str, Any] = {
        "procedure": f"TF-IDF {best}, fine grid (weight step 0.025, bias step 0.05)",
        "kfold_macro_f1": candidates[best]["kfold_macro_f1"],
        "blend": {"tfidf_weight": weight, "bias": [float(b) for b in bias]},
        "holdout": report(y_hold, text_v2.blend(enc, tfidfs[best], weight, bias)),
    }
    log(
        f"best: {after['procedure']}, gain {gain:+.4f}; on the whole holdout {hold_f1:.4f} "
        f"with weight {weight}, bias {bias.tolist()}"
    )
    if gain < args.margin:
        log(f"the gain is under --margin {args.margin}: nothing to change")
        return 0
    if not args.write:
        log("dry run: pass --write to ship it")
        return 0

    # ---- ship it, then read dev once to report before and after
    dev_texts, y_dev = read_split(args.dev)
    dev_enc = served.encoder.logits(dev_texts)
    before["dev"] = report(
        y_dev,
        text_v2.blend(
            dev_enc, served.tfidf.log_probabilities(dev_texts), served.tfidf_weight, served.bias
        ),
    )
    refit: dict[str, Any] | None = None
    if best != "shipped":
        c_text, cw_text = (part.split("=")[1] for part in best.split(", "))
        refit = {"c": float(c_text), "class_weight": None if cw_text == "None" else cw_text}
        export_tfidf(
            args, refit["c"], refit["class_weight"], fit_texts, y_fit, hold_texts, tfidfs[best]
        )
    (args.out / "blend.json").write_text(json.dumps(after["blend"]) + "\n", encoding="utf-8")
    calibrated = text_v2.SentimentV2(args.out, SHARED_ENCODER)
    after["dev"] = report(
        y_dev,
        text_v2.blend(
            dev_enc,
            calibrated.tfidf.log_probabilities(dev_texts),
            calibrated.tfidf_weight,
            calibrated.bias,
        ),
    )
    log(f"dev macro-F1 before {before['dev']['macro_f1']}, after {after['dev']['macro_f1']}")
    update_metrics(args.out, before, after, candidates, len(hold), refit)
    return 0


def update_metrics(
    out: Path,
    before: dict[str, Any],
    after: dict[str, Any],
    candidates: dict[str, Any],
    rows: int,
    refit: dict[str, Any] | None,
) -> None:
    metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    shipped = after["dev"]
    metrics.update(
        macro_f1=shipped["macro_f1"],
        accuracy=shipped["accuracy"],
        per_class=shipped["per_class"],
        holdout_macro_f1=after["holdout"]["macro_f1"],
        blend=after["blend"],
    )
    metrics["candidates"]["blend"] = {"dev": after["dev"], "holdout": after["holdout"]}
    metrics["selected_on"] += (
        f"; then calibrated (make calibrate-sentiment) on the same holdout, "
        f"judged by {FOLDS}-fold macro-F1 inside it"
    )
    metrics["calibration"] = {
        "holdout_rows": rows,
        "folds": FOLDS,
        "before": before,
        "after": after,
        "tfidf_candidates": candidates,
    }
    if refit is not None:
        metrics["tfidf"].update(refit)
    metrics["bytes"] = {f: (out / f).stat().st_size for f in metrics["bytes"]}
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    raise SystemExit(main())
