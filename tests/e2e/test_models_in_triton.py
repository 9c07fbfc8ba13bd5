"""Each shipped model loads and answers inside a real Triton, through plain tritonclient."""

import csv
import json

import numpy as np
import pytest
import tritonclient.grpc as triton_grpc
from tritonclient.utils import InferenceServerException

from tests.support.triton_calls import expected_rows, infer_diabetes, infer_text
from tools.devstack.embedded import MODEL_REPOSITORY, REPO_ROOT

LABELS = ["negative", "neutral", "positive"]
DEV_CSV = REPO_ROOT.parent / "shared" / "data" / "reviews" / "dev.csv"


@pytest.fixture(scope="module")
def client(triton):
    c = triton_grpc.InferenceServerClient(triton.url)
    yield c
    c.close()


@pytest.mark.parametrize("model", ["sentiment", "embedding", "diabetes-progression"])
def test_model_is_ready(client, model):
    assert client.is_model_ready(model)


def test_sentiment_gives_three_probabilities_per_text(client):
    probs = infer_text(
        client,
        "sentiment",
        "PROBABILITIES",
        ["I love it, fits perfectly!", "Cheap fabric, returned it.", "ok"],
    )
    assert probs.shape == (3, 3)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-4)
    assert probs[0].argmax() == LABELS.index("positive")
    assert probs[1].argmax() == LABELS.index("negative")


def macro_f1(truth: list[str], predicted: list[str]) -> float:
    scores = []
    for label in LABELS:
        tp = sum(t == p == label for t, p in zip(truth, predicted, strict=True))
        fp = sum(p == label != t for t, p in zip(truth, predicted, strict=True))
        fn = sum(t == label != p for t, p in zip(truth, predicted, strict=True))
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        scores.append(2 * precision * recall / (precision + recall) if precision + recall else 0.0)
    return sum(scores) / len(scores)


@pytest.mark.skipif(
    not DEV_CSV.exists(), reason="the labelled dev set lives in ../shared (not shipped)"
)
def test_sentiment_dev_macro_f1_through_triton_matches_its_model_card(client):
    """Catches a broken artefact or a tokenizer mismatch: the served model must score what it
    scored when it was trained, through the very path users take. Version 1 here; v2 has
    the same check against its own card in test_sentiment_v2_in_triton.py."""
    with DEV_CSV.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    predicted: list[str] = []
    for start in range(0, len(rows), 128):
        batch = [r["text"] for r in rows[start : start + 128]]
        predicted += [
            LABELS[i]
            for i in infer_text(
                client, "sentiment", "PROBABILITIES", batch, model_version="1"
            ).argmax(axis=1)
        ]
    card = json.loads((MODEL_REPOSITORY / "sentiment" / "1" / "metrics.json").read_text())
    score = macro_f1([r["label"] for r in rows], predicted)
    assert score >= card["macro_f1"] - 0.005, (score, card["macro_f1"])
    assert score > 0.64  # the TF-IDF + logistic regression baseline it must beat


def test_embeddings_are_unit_vectors_and_similarity_makes_sense(client):
    vectors = infer_text(
        client,
        "embedding",
        "EMBEDDING",
        [
            "The dress fits well and looks great.",
            "This dress looks lovely and fits nicely.",
            "The train leaves at noon.",
        ],
    )
    assert vectors.shape == (3, 384)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-3)
    similar, unrelated = vectors[0] @ vectors[1], vectors[0] @ vectors[2]
    assert similar > unrelated + 0.2


def test_regressor_matches_its_training_time_predictions(client):
    expected = json.loads(
        (MODEL_REPOSITORY / "diabetes-progression" / "1" / "expected.json").read_text()
    )
    rows, predictions = expected_rows(expected)
    np.testing.assert_allclose(infer_diabetes(client, rows), predictions, rtol=1e-4, atol=1e-3)


def test_non_utf8_text_is_refused_by_the_model(client):
    data = np.array([[b"\xff\xfe bad"]], dtype=object)
    tensor = triton_grpc.InferInput("TEXT", [1, 1], "BYTES")
    tensor.set_data_from_numpy(data)
    with pytest.raises(InferenceServerException, match="UTF-8"):
        client.infer("sentiment", [tensor])


def test_wrong_input_name_is_refused(client):
    tensor = triton_grpc.InferInput("NOT_TEXT", [1, 1], "BYTES")
    tensor.set_data_from_numpy(np.array([[b"x"]], dtype=object))
    with pytest.raises(InferenceServerException):
        client.infer("sentiment", [tensor])


def test_a_dynamic_batch_of_many_requests_answers_each_in_order(client):
    texts = [f"review {i}: " + ("great " * (i % 7)) + f"item {i * 37 % 101}" for i in range(40)]
    alone = np.stack([infer_text(client, "embedding", "EMBEDDING", [t])[0] for t in texts[:8]])
    together = infer_text(client, "embedding", "EMBEDDING", texts)[:8]
    # int8 graphs quantise activations per batch, so values move a little with the company a
    # text keeps; identity and order must not: each row is closest to its own single answer.
    similarity = together @ alone.T
    assert (similarity.argmax(axis=1) == np.arange(8)).all()
    assert similarity.diagonal().min() > 0.98
