"""The numpy TF-IDF + logistic-regression scorer that sentiment v2 serves (runtime/tfidf.py).

Expected values were produced by scikit-learn 1.9.1 (TfidfVectorizer's analysers and a
fitted vectoriser) and are written out here, so the test needs no scikit-learn.
"""

from pathlib import Path

import numpy as np
import pytest

from services.inference.runtime import tfidf

TERMS = ["bad", "bad film", "film", "good", "good bad", "good good", "not", "not good"]
IDF = [1.287682, 1.693147, 1.693147, 1.287682, 1.693147, 1.693147, 1.693147, 1.693147]


def test_word_analyser_matches_scikit_learn():
    assert tfidf.word_ngrams("It is NOT good, a b-c", 1, 2) == [
        "it", "is", "not", "good", "it is", "is not", "not good",
    ]  # fmt: skip


def test_char_wb_analyser_matches_scikit_learn():
    assert tfidf.char_wb_ngrams("Hi  a\tDog!", 2, 3) == [
        " h", "hi", "i ", " hi", "hi ", " a", "a ", " a ", " d", "do", "og", "g!", "! ",
        " do", "dog", "og!", "g! ",
    ]  # fmt: skip


def test_block_gives_sublinear_l2_normalised_tfidf_like_scikit_learn():
    block = tfidf.Block("word", 1, 2, TERMS, np.array(IDF))
    cols, values = block.features("good good good not good")
    dense = np.zeros(len(TERMS))
    dense[cols] = values
    np.testing.assert_allclose(
        dense, [0.0, 0.0, 0.0, 0.635305, 0.0, 0.592706, 0.350062, 0.350062], atol=2e-6
    )


def write_model(path: Path) -> None:
    """Two blocks (word, then char_wb 3-grams over two terms) and a 3-class linear model."""
    coef = np.zeros((3, len(TERMS) + 2), np.float32)
    coef[0, TERMS.index("bad")] = 2.0
    coef[2, TERMS.index("good")] = 3.0
    coef[1, len(TERMS) + 1] = 1.5  # char block, term "ok "
    np.savez_compressed(
        path,
        blocks=np.array(["word", "char"]),
        word_analyser=np.array("word"),
        word_ngram_range=np.array([1, 2]),
        word_terms=np.frombuffer("\n".join(TERMS).encode(), np.uint8),
        word_idf=np.array(IDF, np.float32),
        char_analyser=np.array("char_wb"),
        char_ngram_range=np.array([3, 3]),
        char_terms=np.frombuffer(b" ok\nok ", np.uint8),
        char_idf=np.array([1.0, 2.0], np.float32),
        coef=coef,
        intercept=np.array([0.1, 0.2, -0.3], np.float32),
    )


def test_scorer_adds_the_blocks_side_by_side_and_returns_log_softmax(tmp_path):
    write_model(tmp_path / "m.npz")
    scorer = tfidf.TfidfScorer(tmp_path / "m.npz")
    out = scorer.log_probabilities(["good", "ok", "zzz"])
    # "good": its only word feature is "good" -> value 1 after l2; char block has no hit.
    # "ok": char 3-grams " ok", "ok " -> idf 1 and 2, l2 -> (1, 2) / sqrt(5).
    scores = np.array(
        [[0.1, 0.2, -0.3 + 3.0], [0.1, 0.2 + 1.5 * 2 / np.sqrt(5), -0.3], [0.1, 0.2, -0.3]]
    )
    expected = scores - np.log(np.exp(scores).sum(axis=1, keepdims=True))
    np.testing.assert_allclose(out, expected, atol=1e-6)
    assert out.argmax(axis=1).tolist() == [2, 1, 1]


@pytest.mark.parametrize("text", ["", "   ", "!!!"])
def test_text_without_any_known_term_scores_the_intercept(tmp_path, text):
    write_model(tmp_path / "m.npz")
    out = tfidf.TfidfScorer(tmp_path / "m.npz").log_probabilities([text])
    scores = np.array([0.1, 0.2, -0.3])
    np.testing.assert_allclose(out[0], scores - np.log(np.exp(scores).sum()), atol=1e-6)
