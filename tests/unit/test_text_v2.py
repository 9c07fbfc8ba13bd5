"""Sentiment v2's runtime (runtime/text_v2.py): word table, blend, and the shipped folder."""

import json

import numpy as np
import pytest

from services.inference.runtime import onnx_weights, text_v2
from tools.devstack.embedded import MODEL_REPOSITORY

ENCODER = MODEL_REPOSITORY / "minilm-encoder-layers-1-4.onnx"
V2 = MODEL_REPOSITORY / "sentiment" / "2"


def test_word_table_is_the_shared_encoders_int8_table_dequantised():
    table = text_v2.word_table(ENCODER)
    expected = onnx_weights.read_weights(ENCODER)["embeddings.word_embeddings.weight"]
    assert table.shape == (30522, 384) and table.dtype == np.float32
    np.testing.assert_array_equal(table, expected)


def test_blend_is_the_softmax_of_logits_plus_weighted_tfidf_plus_bias():
    logits = np.array([[1.0, 0.0, 2.0]], np.float32)
    tfidf = np.log(np.array([[0.7, 0.2, 0.1]]))
    out = text_v2.blend(logits, tfidf, 0.5, np.array([0.3, -0.2, 0.0]))
    z = np.array([1.0 + 0.5 * np.log(0.7) + 0.3, 0.5 * np.log(0.2) - 0.2, 2.0 + 0.5 * np.log(0.1)])
    np.testing.assert_allclose(out[0], np.exp(z) / np.exp(z).sum(), rtol=1e-6)
    assert out.dtype == np.float32


@pytest.fixture(scope="module")
def v2():
    return text_v2.SentimentV2(V2, ENCODER)


def test_shipped_v2_answers_in_input_order_with_probabilities(v2):
    texts = ["Love it, fits perfectly and the colour is great!", "Returned it, cheap fabric.", ""]
    probs = v2.run(texts)
    assert probs.shape == (3, 3) and probs.dtype == np.float32
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-5)
    assert probs[0].argmax() == 2 and probs[1].argmax() == 0
    swapped = v2.run(texts[::-1])[::-1]
    np.testing.assert_allclose(swapped, probs, atol=0.02)  # int8 scales follow the batch


def test_shipped_blend_parameters_match_the_card():
    blend = json.loads((V2 / "blend.json").read_text())
    card = json.loads((V2 / "metrics.json").read_text())
    assert card["blend"] == blend and card["version"] == 2
    v1 = json.loads((V2.parent / "1" / "metrics.json").read_text())
    assert card["macro_f1"] > v1["macro_f1"]
