"""Train the `diabetes-progression` regressor on scikit-learn's bundled diabetes data.

    make train-diabetes
    .venv-train/bin/python services/inference/training/train_diabetes.py   # the same

Ridge regression (RidgeCV, alpha by leave-one-out CV) on the ten standardised feature columns
as scikit-learn ships them (no download). R² is reported on a held-out 20 % split (fixed seed);
the shipped coefficients are those fitted on the other 80 %. Serving needs numpy only:
prediction = intercept + features @ coefficients.

Writes services/inference/model_repository/diabetes-progression/1/{model.json, expected.json}
and services/inference/model_repository/diabetes-progression/MODEL_CARD.md.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from model_card import write_diabetes_card  # the script's folder is on sys.path when it runs
from numpy.typing import NDArray
from sklearn.datasets import load_diabetes
from sklearn.linear_model import RidgeCV
from sklearn.metrics import mean_absolute_error, r2_score
from sklearn.model_selection import train_test_split

REPO = Path(__file__).resolve().parents[3]
FEATURES = ["age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6"]
SEED = 20261122
N_EXPECTED = 10


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument(
        "--out",
        type=Path,
        default=REPO / "services/inference/model_repository/diabetes-progression/1",
    )
    p.add_argument("--seed", type=int, default=SEED)
    p.add_argument("--no-card", action="store_true", help="do not (re)write MODEL_CARD.md")
    args = p.parse_args(argv)

    data = load_diabetes(as_frame=True)
    frame = data.frame
    assert list(data.feature_names) == FEATURES, data.feature_names
    x = frame[FEATURES].to_numpy(dtype=np.float64)
    y = frame["target"].to_numpy(dtype=np.float64)
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.2, random_state=args.seed)

    model = RidgeCV(alphas=np.logspace(-4, 2, 61)).fit(x_train, y_train)
    coef = [float(c) for c in model.coef_]
    intercept = float(model.intercept_)

    def predict(rows: NDArray[np.float64]) -> NDArray[np.float64]:
        """Exactly what serving computes (numpy only)."""
        return intercept + rows @ np.asarray(coef)

    assert np.allclose(predict(x_test), model.predict(x_test))
    r2_test = float(r2_score(y_test, predict(x_test)))
    r2_train = float(r2_score(y_train, predict(x_train)))
    mae_test = float(mean_absolute_error(y_test, predict(x_test)))
    print(
        f"RidgeCV alpha {model.alpha_:g}: held-out R² {r2_test:.4f} (MAE {mae_test:.2f}, "
        f"{len(y_test)} rows), train R² {r2_train:.4f}"
    )

    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "model.json").write_text(
        json.dumps({"features": FEATURES, "coefficients": coef, "intercept": intercept}, indent=2)
        + "\n",
        encoding="utf-8",
    )
    sample = x_test[:N_EXPECTED]
    expected = {
        "features": FEATURES,
        "rows": [dict(zip(FEATURES, map(float, row), strict=True)) for row in sample],
        "predictions": [float(v) for v in predict(sample)],
        "targets": [float(v) for v in y_test[:N_EXPECTED]],
        "note": "first 10 rows of the held-out split; predictions = intercept + row @ coefficients",
    }
    (args.out / "expected.json").write_text(json.dumps(expected, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out}/model.json and expected.json")

    if not args.no_card:
        card = args.out.parent / "MODEL_CARD.md"
        write_diabetes_card(
            card,
            {
                "features": FEATURES,
                "coefficients": coef,
                "intercept": intercept,
                "alpha": float(model.alpha_),
                "seed": args.seed,
                "n_train": len(y_train),
                "n_test": len(y_test),
                "r2_test": r2_test,
                "r2_train": r2_train,
                "mae_test": mae_test,
                "n_expected": N_EXPECTED,
            },
        )
        print(f"wrote {card}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
