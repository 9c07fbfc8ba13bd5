"""The GPU runtime's weights, read back from the shipped ONNX graphs."""

from pathlib import Path

import numpy as np
import onnx
import onnx.utils
import onnxruntime as ort

from services.inference.runtime import onnx_weights

REPOSITORY = Path(__file__).resolve().parents[2] / "services" / "inference" / "model_repository"
ENCODER = REPOSITORY / "minilm-encoder-layers-1-4.onnx"
LAYER_PARAMETERS = {
    f"{module}.{kind}"
    for module in (
        "attention.self.query",
        "attention.self.key",
        "attention.self.value",
        "attention.output.dense",
        "attention.output.LayerNorm",
        "intermediate.dense",
        "output.dense",
        "output.LayerNorm",
    )
    for kind in ("weight", "bias")
}


def layers(names: set[str], numbers: range) -> set[str]:
    return {f"encoder.layer.{n}.{p}" for n in numbers for p in LAYER_PARAMETERS} & names


def test_shared_encoder_gives_embeddings_and_layers_0_to_3_in_torch_layout() -> None:
    weights = onnx_weights.read_weights(ENCODER)
    names = set(weights)
    assert layers(names, range(4)) == {
        f"encoder.layer.{n}.{p}" for n in range(4) for p in LAYER_PARAMETERS
    }
    assert weights["embeddings.word_embeddings.weight"].shape == (30522, 384)
    assert weights["encoder.layer.0.intermediate.dense.weight"].shape == (1536, 384)  # [out, in]
    assert all(w.dtype == np.float32 for w in weights.values())
    assert onnx_weights.attention_heads(ENCODER, 384) == 12
    assert onnx_weights.layer_norm_epsilon(ENCODER) < 1e-11


def test_each_model_brings_layers_4_and_5_and_sentiment_its_head() -> None:
    sentiment = onnx_weights.read_weights(REPOSITORY / "sentiment" / "1" / "model.onnx")
    embedding = onnx_weights.read_weights(REPOSITORY / "embedding" / "1" / "model.onnx")
    for weights in (sentiment, embedding):
        assert layers(set(weights), range(4, 6)) == {
            f"encoder.layer.{n}.{p}" for n in range(4, 6) for p in LAYER_PARAMETERS
        }
    assert sentiment["head.weight"].shape == (3, 384)
    assert "head.weight" not in embedding


def test_int8_weights_are_dequantised_to_the_values_the_cpu_multiplies_by(tmp_path: Path) -> None:
    graph = REPOSITORY / "sentiment" / "1" / "model.onnx"
    assert onnx_weights.dynamic_int8_modules(graph) == {"head"}
    assert "encoder.layer.4.attention.self.query" in onnx_weights.dynamic_int8_modules(
        REPOSITORY / "embedding" / "1" / "model.onnx"
    )
    # The sentiment graph from its pooled vector on: int8 head, bias, softmax. The weights
    # read back must give what that graph computes (up to its rounding of the input).
    head = tmp_path / "head.onnx"
    onnx.utils.extract_model(str(graph), str(head), ["/classifier/Div_output_0"], ["probabilities"])
    pooled = np.random.default_rng(7).normal(0, 0.3, (16, 384)).astype(np.float32)
    session = ort.InferenceSession(str(head), providers=["CPUExecutionProvider"])
    (expected,) = session.run(None, {"/classifier/Div_output_0": pooled})
    weights = onnx_weights.read_weights(graph)
    logits = pooled @ weights["head.weight"].T + weights["head.bias"]
    ours = np.exp(logits - logits.max(1, keepdims=True))
    ours /= ours.sum(1, keepdims=True)
    np.testing.assert_allclose(ours, expected, atol=0.01)
