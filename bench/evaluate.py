"""`make eval`: every served version of sentiment on the dev reviews, through Triton.

Starts tritonserver on the shipped model repository (every version folder is served), sends
the dev set (`../shared/data/reviews/dev.csv`, or INFERLANE_REVIEWS_DEV) to each version in
batches of 256, and prints one row per version: macro-F1, accuracy and F1 per label, beside
the macro-F1 its model card claims. The figures use the same definitions as evaluating
tasks (inferlane.common.classification_metrics). `--out FILE` also writes them as JSON.
"""

import argparse
import json
import tempfile
from pathlib import Path

import numpy as np
import tritonclient.grpc as triton_grpc

from bench.__main__ import table
from bench.gpu import BATCH, LABELS, MODELS, dev_set, gpu_triton, triton_inputs
from inferlane.common.classification_metrics import Figures, figures
from services.inference import catalog

MODEL, OUTPUT = "sentiment", "PROBABILITIES"


def predict(url: str, version: str, texts: list[str]) -> list[str]:
    client = triton_grpc.InferenceServerClient(url)
    try:
        parts = [
            client.infer(
                MODEL, triton_inputs(texts[i : i + BATCH]), model_version=version
            ).as_numpy(OUTPUT)
            for i in range(0, len(texts), BATCH)
        ]
    finally:
        client.close()
    return [LABELS[int(i)] for i in np.concatenate(parts).argmax(axis=1)]


def score(truth: list[str], predicted: list[str]) -> Figures:
    index = {label: i for i, label in enumerate(LABELS)}
    matrix = [[0] * len(LABELS) for _ in LABELS]
    for expected, got in zip(truth, predicted, strict=True):
        matrix[index[expected]][index[got]] += 1
    return figures(LABELS, matrix)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="Also write the figures here as JSON.")
    args = parser.parse_args()
    texts, truth = dev_set()
    spec = catalog.load(MODELS)[MODEL]
    versions = catalog.versions(spec)
    rows, report = [], {}
    with tempfile.TemporaryDirectory() as tmp, gpu_triton(Path(tmp) / "triton.log", "") as url:
        client = triton_grpc.InferenceServerClient(url)
        served = [v for v in versions if client.is_model_ready(MODEL, v.number)]
        client.close()
        for version in served:
            f = score(truth, predict(url, version.number, texts))
            card = f"{version.card.macro_f1:.4f}" if version.card else "-"
            per_label = [f"{c.f1:.4f}" for c in f.per_label]
            rows.append(
                (
                    version.number,
                    str(f.evaluated),
                    f"{f.macro_f1:.4f}",
                    card,
                    f"{f.accuracy:.4f}",
                    *per_label,
                )
            )
            report[version.number] = {
                "rows": f.evaluated,
                "macro_f1": round(f.macro_f1, 4),
                "accuracy": round(f.accuracy, 4),
                "per_class": {c.label: round(c.f1, 4) for c in f.per_label},
                "confusion_matrix": f.matrix,
                "card_macro_f1": version.card.macro_f1 if version.card else None,
            }
    header = (
        "version",
        "rows",
        "macro-F1",
        "card macro-F1",
        "accuracy",
        *(f"F1 {label}" for label in LABELS),
    )
    print(f"\n{MODEL} on the dev reviews ({len(texts)} rows), every served version\n")
    print(table(rows, header))
    if args.out:
        args.out.write_text(json.dumps({MODEL: report}, indent=2) + "\n")


if __name__ == "__main__":
    main()
