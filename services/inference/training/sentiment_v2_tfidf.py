"""Sentiment v2's TF-IDF + logistic-regression model: fit with scikit-learn, export for numpy.

Word 1-2 grams and in-word character 2-5 grams (runtime/tfidf.py rebuilds both analysers),
sublinear tf, each block l2-normalised, multinomial logistic regression with balanced class
weights. The export holds the vocabularies, idf and coefficients; serving needs numpy only.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

BLOCKS = {  # name: (analyser, ngram range, max features)
    "word": ("word", (1, 2), 40_000),
    "char": ("char_wb", (2, 5), 60_000),
}


def classifier(c: float, seed: int, class_weight: str | None = "balanced") -> LogisticRegression:
    return LogisticRegression(C=c, class_weight=class_weight, max_iter=3000, random_state=seed)


class TfidfModel:
    def __init__(self, c: float, seed: int, class_weight: str | None = "balanced") -> None:
        self.vectorisers = {
            name: TfidfVectorizer(
                analyzer=analyser,
                ngram_range=ngrams,
                max_features=limit,
                min_df=2,
                sublinear_tf=True,
                lowercase=True,
                dtype=np.float64,
            )
            for name, (analyser, ngrams, limit) in BLOCKS.items()
        }
        self.lr = classifier(c, seed, class_weight)

    def features(self, texts: Sequence[str], fit: bool = False) -> sp.csr_matrix:
        blocks = [
            v.fit_transform(texts) if fit else v.transform(texts) for v in self.vectorisers.values()
        ]
        return sp.hstack(blocks, format="csr")

    def fit(self, texts: Sequence[str], labels: NDArray[np.int64]) -> TfidfModel:
        self.lr.fit(self.features(texts, fit=True), labels)
        return self

    def log_probabilities(self, texts: Sequence[str]) -> NDArray[np.float64]:
        return self.lr.predict_log_proba(self.features(texts))

    def export(self, path: Path) -> None:
        """One .npz: per block its analyser, n-gram range, terms (in column order) and idf;
        then the coefficients [classes, all columns] and intercepts."""
        arrays: dict[str, NDArray[np.generic]] = {"blocks": np.array(list(self.vectorisers))}
        for name, v in self.vectorisers.items():
            terms = sorted(v.vocabulary_, key=v.vocabulary_.__getitem__)
            assert all("\n" not in t for t in terms)
            arrays[f"{name}_analyser"] = np.array(v.analyzer)
            arrays[f"{name}_ngram_range"] = np.array(v.ngram_range)
            arrays[f"{name}_terms"] = np.frombuffer("\n".join(terms).encode("utf-8"), np.uint8)
            arrays[f"{name}_idf"] = v.idf_.astype(np.float32)
        arrays["coef"] = self.lr.coef_.astype(np.float32)
        arrays["intercept"] = self.lr.intercept_.astype(np.float32)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as fh:  # a file object: savez would append ".npz" to a str name
            np.savez_compressed(fh, **arrays)
