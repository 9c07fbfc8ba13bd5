"""Export the original all-MiniLM-L6-v2 encoder (not fine-tuned) as the `embedding` model.

    make export-embedding
    .venv-train/bin/python services/inference/training/export_embedding.py   # the same

Graph: (`input_ids`, `attention_mask` int64 [batch, seq]) -> `embedding` float32 [batch, 384],
mean-pooled over the attention mask and L2-normalised, quantised to int8 (dynamic, QInt8
weights). Checked against the torch model (Hugging Face BertModel + mean pooling) on sentence
pairs: cosine similarities of the int8 graph within 0.02, similar pairs above unrelated ones.

Writes services/inference/model_repository/embedding/1/{model.onnx, tokenizer.json} and
services/inference/model_repository/embedding/MODEL_CARD.md.
"""

from __future__ import annotations

import argparse
import csv
import random
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import minilm  # the script's folder is on sys.path when it runs
import numpy as np
import torch
from model_card import write_embedding_card
from numpy.typing import NDArray

REPO = Path(__file__).resolve().parents[3]
MAX_LENGTH = 256  # sentence-transformers' max_seq_length for this model
TOLERANCE = 0.02

SIMILAR = [
    (
        "The dress fits perfectly and the fabric is soft.",
        "This dress has a great fit and very soft material.",
    ),
    ("How do I reset my password?", "I forgot my password and need to change it."),
    ("The cat is sleeping on the sofa.", "A kitten is napping on the couch."),
    ("Stock markets fell sharply today.", "Share prices dropped a lot on the exchange today."),
]
UNRELATED = [
    ("The dress fits perfectly and the fabric is soft.", "Stock markets fell sharply today."),
    ("How do I reset my password?", "A kitten is napping on the couch."),
    ("The cat is sleeping on the sofa.", "The quarterly report is due on Friday."),
    ("Stock markets fell sharply today.", "I love hiking in the mountains with friends."),
]
# Fillers that make a batch pad to ~100 tokens (activation ranges then cover long reviews).
LONG_TEXTS = [
    "I ordered this sweater in my usual size and it arrived quickly, but the sleeves are much "
    "longer than the photos suggest and the knit is thinner than I expected for the price. The "
    "colour is lovely in daylight, a warm rust rather than the brown shown online, and it washed "
    "well on a gentle cycle. I kept it, although I would size down next time.",
    "Our team reviewed the quarterly figures on Monday: revenue grew four percent, costs rose "
    "faster than planned because of shipping delays, and the board asked for a revised forecast "
    "before the end of the month, with separate numbers for each region and product line.",
    "The hiking trail starts behind the old railway station, climbs through a pine forest for "
    "about two hours and ends at a small lake where you can swim in summer; bring water, the "
    "spring near the top is often dry in August.",
]


def torch_reference(texts: Sequence[str]) -> NDArray[np.float32]:
    """The plain Hugging Face model + mean pooling + L2 norm (the model card's recipe),
    independent of the export wrapper."""
    bert = minilm.load_bert("eager")
    tok = minilm.load_tokenizer(MAX_LENGTH)
    ids, mask = minilm.encode_padded(tok, texts)
    with torch.no_grad():
        out = bert(input_ids=torch.from_numpy(ids), attention_mask=torch.from_numpy(mask))
        pooled = minilm.mean_pool(out.last_hidden_state, torch.from_numpy(mask))
        return torch.nn.functional.normalize(pooled, dim=1).numpy()


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument(
        "--out", type=Path, default=REPO / "services/inference/model_repository/embedding/1"
    )
    p.add_argument(
        "--reviews",
        type=Path,
        default=REPO.parent / "shared/data/reviews/dev.csv",
        help="real texts to batch the check sentences with (skipped if the file is missing)",
    )
    p.add_argument("--no-card", action="store_true", help="do not (re)write MODEL_CARD.md")
    args = p.parse_args(argv)
    torch.manual_seed(0)

    texts = sorted({t for pair in SIMILAR + UNRELATED for t in pair})
    review_batches: list[list[str]] = []
    if args.reviews.exists():
        with args.reviews.open(encoding="utf-8", newline="") as fh:
            reviews = [row["text"] for row in csv.DictReader(fh)]
        rng = random.Random(0)  # noqa: S311 (sampling, not security)
        review_batches = [rng.sample(reviews, 64 - len(texts)) for _ in range(3)]
    ref = torch_reference(texts)

    args.out.mkdir(parents=True, exist_ok=True)
    tokenizer_path = args.out / "tokenizer.json"
    minilm.write_tokenizer(tokenizer_path, MAX_LENGTH)
    serving_tok = minilm.load_serving_tokenizer(tokenizer_path)
    graph = minilm.EmbeddingGraph(minilm.Encoder(minilm.load_bert("eager")))

    row = {t: i for i, t in enumerate(texts)}

    def cos(vecs: NDArray[np.floating[Any]], a: str, b: str) -> float:
        return float(vecs[row[a]] @ vecs[row[b]])

    def run_all(session: Any) -> dict[str, NDArray[np.floating[Any]]]:
        """Dynamic int8 quantises activations per batch, so results depend on the batch: run
        the sentences alone, together, and padded next to long texts (as dynamic batching may)."""
        runs = {
            "alone": minilm.ort_run(session, serving_tok, texts, batch_size=1),
            "together": minilm.ort_run(session, serving_tok, texts, batch_size=64),
            "next to long texts": minilm.ort_run(
                session, serving_tok, texts + LONG_TEXTS, batch_size=64
            )[: len(texts)],
        }
        for n, batch in enumerate(review_batches):
            runs[f"next to 51 reviews ({n + 1})"] = minilm.ort_run(
                session, serving_tok, texts + batch, batch_size=64
            )[: len(texts)]
        return runs

    def check(runs: dict[str, NDArray[np.floating[Any]]]) -> dict[str, Any]:
        pairs: list[dict[str, Any]] = []
        for kind, group in (("similar", SIMILAR), ("unrelated", UNRELATED)):
            for a, b in group:
                t = cos(ref, a, b)
                q = {mode: cos(vecs, a, b) for mode, vecs in runs.items()}
                worst = max(q.values(), key=lambda v: abs(v - t))
                pairs.append(
                    {"kind": kind, "a": a, "b": b, "torch": t, "int8": worst, "diff": worst - t}
                )
        for vecs in runs.values():
            assert vecs.shape == (len(texts), minilm.HIDDEN) and vecs.dtype == np.float32
            norms = np.linalg.norm(vecs, axis=1)
            assert np.allclose(norms, 1.0, atol=1e-4), norms
        self_cos = np.concatenate([np.sum(vecs * ref, axis=1) for vecs in runs.values()])
        lowest_similar = min(cos(v, a, b) for v in runs.values() for a, b in SIMILAR)
        highest_unrelated = max(cos(v, a, b) for v in runs.values() for a, b in UNRELATED)
        return {
            "pairs": pairs,
            "batchings": list(runs),
            "max_abs_diff": max(abs(pr["diff"]) for pr in pairs),
            "self_cosine_mean": float(self_cos.mean()),
            "self_cosine_min": float(self_cos.min()),
            "lowest_similar": lowest_similar,
            "highest_unrelated": highest_unrelated,
            "similar_above_unrelated": lowest_similar > highest_unrelated,
        }

    with tempfile.TemporaryDirectory() as tmp:
        fp32_path = Path(tmp) / "fp32.onnx"
        minilm.export_onnx(graph, fp32_path, "embedding")
        fp32 = minilm.ort_run(minilm.ort_session(fp32_path), serving_tok, texts)
        fp32_err = float(np.abs(fp32 - ref).max())
        print(f"fp32 graph vs torch: max |diff| {fp32_err:.2e}")
        assert fp32_err < 1e-4, fp32_err
        # int8 variants, smallest first; the first within TOLERANCE ships.
        candidates = [
            ("int8", []),
            ("int8, FFN down-projections fp32", minilm.ffn_down_projections(fp32_path)),
        ]
        result: dict[str, Any] = {}
        for n, (name, exclude) in enumerate(candidates):
            path = Path(tmp) / f"int8-{n}.onnx"
            minilm.quantize_int8(fp32_path, path, exclude)
            result = check(run_all(minilm.ort_session(path)))
            result["graph"] = name
            print(
                f"{name} ({path.stat().st_size / 1e6:.1f} MB): max |cos diff| "
                f"{result['max_abs_diff']:.4f}, vector cosine to torch mean "
                f"{result['self_cosine_mean']:.4f} min {result['self_cosine_min']:.4f}"
            )
            if result["max_abs_diff"] <= TOLERANCE:
                path.replace(args.out / "model.onnx")
                break
        else:
            raise SystemExit(f"no int8 variant within {TOLERANCE} cosine of the torch model")

    for pr in result["pairs"]:
        print(
            f"{pr['kind']:9s} torch {pr['torch']:.4f} int8 {pr['int8']:.4f} "
            f"diff {pr['diff']:+.4f} | {pr['a']} / {pr['b']}"
        )
    print(
        f"shipped {result['graph']}: max |cos diff| {result['max_abs_diff']:.4f} "
        f"(tolerance {TOLERANCE}); lowest similar {result['lowest_similar']:.4f} > highest "
        f"unrelated {result['highest_unrelated']:.4f}"
    )
    assert result["similar_above_unrelated"], "a similar pair scored below an unrelated one"

    size = (args.out / "model.onnx").stat().st_size
    print(f"wrote {args.out}/model.onnx ({size:,} bytes) and tokenizer.json")
    if not args.no_card:
        card = args.out.parent / "MODEL_CARD.md"
        write_embedding_card(
            card,
            {"bytes": size, "max_length": MAX_LENGTH, "tolerance": TOLERANCE, **result},
        )
        print(f"wrote {card}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
