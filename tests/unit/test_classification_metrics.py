"""Classifier figures from a confusion matrix, checked against hand computations."""

import pytest

from inferlane.common.classification_metrics import figures

LABELS = ["negative", "neutral", "positive"]


def test_figures_of_a_small_matrix_computed_by_hand():
    # expected \\ predicted: negative neutral positive
    matrix = [[2, 1, 0], [0, 1, 1], [1, 0, 4]]
    f = figures(LABELS, matrix)
    assert f.evaluated == 10 and f.accuracy == pytest.approx(7 / 10)
    negative, neutral, positive = f.per_label
    # negative: 2 right of 3 predicted (2+0+1) and of 3 expected (2+1+0)
    assert (negative.precision, negative.recall, negative.support) == (2 / 3, 2 / 3, 3)
    # neutral: 1 right of 2 predicted, of 2 expected
    assert (neutral.precision, neutral.recall, neutral.f1) == (0.5, 0.5, 0.5)
    # positive: 4 right of 5 predicted, of 5 expected
    assert positive.f1 == pytest.approx(0.8)
    assert f.macro_f1 == pytest.approx((2 / 3 + 0.5 + 0.8) / 3)


def test_labels_that_never_occur_are_left_out_of_macro_f1():
    f = figures(LABELS, [[3, 0, 1], [0, 0, 0], [1, 0, 5]])
    assert f.per_label[1].f1 == 0.0 and f.per_label[1].support == 0
    assert f.macro_f1 == pytest.approx((0.75 + 5 / 6) / 2)


def test_empty_matrix_is_all_zero_and_a_ragged_one_is_refused():
    assert figures(LABELS, [[0] * 3] * 3).accuracy == 0.0
    with pytest.raises(ValueError, match="square"):
        figures(LABELS, [[1, 2], [3, 4]])
