"""Sentiment v2's calibration step (training/calibrate_sentiment_v2.py, sentiment_v2_blend.py):
the grid search, the folds and the out-of-fold estimate, on synthetic scores (no model)."""

import numpy as np

from services.inference.training import calibrate_sentiment_v2 as calibrate
from services.inference.training.sentiment_v2_blend import bias_grid, tune_blend


def shifted_scores(rows: int = 600, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Labels, encoder logits whose neutral column is 0.4 too low, and uninformative TF-IDF."""
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(rows, 3)) * 2.0
    y = z.argmax(axis=1)
    enc = z - np.array([0.0, 0.4, 0.0])
    tfidf = np.log(np.full((rows, 3), 1 / 3))
    return y, enc, tfidf


def test_bias_grid_starts_at_no_bias_and_keeps_positive_at_zero():
    grid = bias_grid(np.array([-0.5, 0.0, 0.5]))
    assert grid.shape == (9, 3)
    np.testing.assert_array_equal(grid[0], [0.0, 0.0, 0.0])
    assert (grid[:, 2] == 0).all()


def test_tune_blend_finds_the_prior_correction():
    y, enc, tfidf = shifted_scores()
    weight, bias, f1 = tune_blend(y, enc, tfidf, calibrate.FINE_WEIGHTS, calibrate.FINE_BIASES)
    assert f1 == 1.0
    assert weight == 0.0  # ties go to the smallest weight
    assert bias[2] == 0.0 and bias[1] - bias[0] > 0.2  # neutral pulled up against negative
    np.testing.assert_array_equal((enc + bias).argmax(axis=1), y)


def test_folds_are_stratified_and_seeded():
    y = np.array([0] * 23 + [1] * 31 + [2] * 146)
    fold = calibrate.folds(y, 5, seed=7)
    for c in range(3):
        counts = np.bincount(fold[y == c], minlength=5)
        assert counts.max() - counts.min() <= 1
    np.testing.assert_array_equal(fold, calibrate.folds(y, 5, seed=7))
    assert not np.array_equal(fold, calibrate.folds(y, 5, seed=8))


def test_out_of_fold_estimate_never_beats_tuning_on_everything():
    rng = np.random.default_rng(3)
    y = rng.integers(0, 3, 300)
    enc = rng.normal(size=(300, 3)) + np.eye(3)[y] * 0.8  # weak signal
    tfidf = np.log(np.full((300, 3), 1 / 3))
    weights, biases = np.array([0.0]), np.round(np.arange(-1.0, 1.01, 0.1), 2)
    in_sample = tune_blend(y, enc, tfidf, weights, biases)[2]
    fold = calibrate.folds(y, 5, seed=1)
    assert calibrate.kfold_macro_f1(y, enc, tfidf, fold, weights, biases) <= in_sample
    y2, enc2, tfidf2 = shifted_scores()
    fold2 = calibrate.folds(y2, 5, seed=1)
    assert calibrate.kfold_macro_f1(y2, enc2, tfidf2, fold2, weights, biases) > 0.95
