"""A TF-IDF + logistic-regression text scorer in plain numpy (no scikit-learn at serving).

Training (training/export_sentiment_v2.py) fits scikit-learn's TfidfVectorizer twice, on
words (1-2 grams) and on characters within words (`char_wb`, 2-5 grams), both lowercased,
sublinear tf, l2-normalised each, and a multinomial LogisticRegression on the two side by side.
It exports vocabulary, idf and coefficients to one .npz; this module rebuilds the same
analysers (sklearn's tokenisation rules, copied below) and the same arithmetic.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

_TOKEN = re.compile(r"(?u)\b\w\w+\b")  # sklearn's default token_pattern
_WHITE_SPACES = re.compile(r"\s\s+")


def word_ngrams(text: str, low: int, high: int) -> list[str]:
    """sklearn's `word` analyser: lowercase, token_pattern, n-grams joined by a space."""
    tokens = _TOKEN.findall(text.lower())
    grams = list(tokens) if low == 1 else []
    for n in range(max(low, 2), high + 1):
        grams += [" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1)]
    return grams


def char_wb_ngrams(text: str, low: int, high: int) -> list[str]:
    """sklearn's `char_wb` analyser: n-grams inside each space-padded word."""
    grams = []
    for word in _WHITE_SPACES.sub(" ", text.lower()).split():
        w = f" {word} "
        for n in range(low, high + 1):
            offset = 0
            grams.append(w[offset : offset + n])
            while offset + n < len(w):
                offset += 1
                grams.append(w[offset : offset + n])
            if offset == 0:  # a word shorter than n counts once
                break
    return grams


ANALYSERS: dict[str, Callable[[str, int, int], list[str]]] = {
    "word": word_ngrams,
    "char_wb": char_wb_ngrams,
}


class Block:
    """One vectoriser: its analyser, vocabulary (term -> column) and idf."""

    def __init__(
        self, analyser: str, low: int, high: int, terms: list[str], idf: NDArray[np.float64]
    ):
        self.analyse = ANALYSERS[analyser]
        self.low, self.high = low, high
        self.column = {term: i for i, term in enumerate(terms)}
        self.idf = idf.astype(np.float64)

    def features(self, text: str) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
        """(columns, l2-normalised sublinear tf-idf values) of the terms the text has."""
        counts = Counter(self.analyse(text, self.low, self.high))
        hits = [(self.column[t], c) for t, c in counts.items() if t in self.column]
        if not hits:
            return np.zeros(0, np.int64), np.zeros(0)
        cols = np.array([c for c, _ in hits], dtype=np.int64)
        values = (1.0 + np.log([n for _, n in hits])) * self.idf[cols]
        return cols, values / np.linalg.norm(values)


class TfidfScorer:
    """Texts -> class probabilities, as the exported scikit-learn pipeline computes them."""

    def __init__(self, path: Path) -> None:
        with np.load(path) as data:
            self.blocks = []
            self.offsets = [0]
            for name in [str(n) for n in data["blocks"]]:
                terms = bytes(data[f"{name}_terms"]).decode("utf-8").split("\n")
                low, high = (int(x) for x in data[f"{name}_ngram_range"])
                self.blocks.append(
                    Block(str(data[f"{name}_analyser"]), low, high, terms, data[f"{name}_idf"])
                )
                self.offsets.append(self.offsets[-1] + len(terms))
            self.coef = data["coef"].astype(np.float64)  # [classes, features]
            self.intercept = data["intercept"].astype(np.float64)

    def log_probabilities(self, texts: Sequence[str]) -> NDArray[np.float64]:
        """float64 [len(texts), classes]: log softmax of the linear scores."""
        scores = np.tile(self.intercept, (len(texts), 1))
        for row, text in enumerate(texts):
            for block, offset in zip(self.blocks, self.offsets, strict=False):
                cols, values = block.features(text)
                scores[row] += self.coef[:, offset + cols] @ values
        scores -= scores.max(axis=1, keepdims=True)
        return scores - np.log(np.exp(scores).sum(axis=1, keepdims=True))
