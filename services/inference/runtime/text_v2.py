"""Sentiment v2 on ONNX Runtime: fine-tuned MiniLM logits blended with a TF-IDF model.

    probabilities = softmax(encoder_logits + tfidf_weight * tfidf_log_probabilities + bias)

The encoder graph (v2's model.onnx, dynamic int8) starts from word vectors: the ids are
looked up here in the shared encoder file's int8 word-embedding table, which v2 was trained
with frozen (training/sentiment_v2_model.py), so v2 stores no table of its own. Texts are
head + tail truncated (head_tail.py). `tfidf_weight` and the per-class `bias` were chosen on
a held-out split of train to maximise macro-F1 (blend.json).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnx
from numpy.typing import NDArray
from onnx import numpy_helper

from services.inference.runtime import head_tail
from services.inference.runtime.text_onnx import SUB_BATCH, session_for
from services.inference.runtime.tfidf import TfidfScorer

WORD_TABLE = "embeddings.word_embeddings.weight"


def word_table(shared_encoder: Path) -> NDArray[np.float32]:
    """The shared encoder's uint8 word-embedding table, dequantised to float32 [vocab, 384]."""
    values = {}
    for tensor in onnx.load(str(shared_encoder)).graph.initializer:
        if WORD_TABLE in tensor.name:
            values[tensor.name.rsplit(WORD_TABLE, 1)[1]] = numpy_helper.to_array(tensor)
    scale = np.float32(values["_scale"])
    zero_point = np.float32(values["_zero_point"])
    return (values["_quantized"].astype(np.float32) - zero_point) * scale


def softmax(logits: NDArray[np.float64]) -> NDArray[np.float64]:
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


class EncoderV2:
    """The fine-tuned MiniLM alone: texts -> logits (float32 [n, 3], in the order given)."""

    def __init__(
        self,
        graph: Path,
        tokenizer: Path,
        shared_encoder: Path,
        instance_kind: str = "CPU",
        device_id: int = 0,
        threads: int = 0,
    ) -> None:
        self.tokenizer = head_tail.load_plain_tokenizer(tokenizer)
        self.table = word_table(shared_encoder)
        self.session = session_for(graph, instance_kind, device_id, threads)

    def logits(self, texts: list[str]) -> NDArray[np.float32]:
        ids = head_tail.encode(self.tokenizer, texts)
        out = np.zeros((len(texts), 3), dtype=np.float32)
        for chunk, tok, mask in head_tail.sorted_batches(ids, SUB_BATCH):
            feeds = {"word_embeddings": self.table[tok], "attention_mask": mask}
            (out[chunk],) = self.session.run(["logits"], feeds)
        return out


class SentimentV2:
    """What Triton serves as sentiment version 2 (model_repository/sentiment/2/model.py)."""

    def __init__(
        self,
        version_dir: Path,
        shared_encoder: Path,
        instance_kind: str = "CPU",
        device_id: int = 0,
        threads: int = 0,  # ONNX Runtime intra-op threads; 0: its default (the bench tunes it)
    ) -> None:
        self.encoder = EncoderV2(
            version_dir / "model.onnx",
            version_dir / "tokenizer.json",
            shared_encoder,
            instance_kind,
            device_id,
            threads,
        )
        self.tfidf = TfidfScorer(version_dir / "tfidf.npz")
        blend = json.loads((version_dir / "blend.json").read_text(encoding="utf-8"))
        self.tfidf_weight = float(blend["tfidf_weight"])
        self.bias = np.asarray(blend["bias"], dtype=np.float64)

    def run(self, texts: list[str]) -> NDArray[np.float32]:
        """Probabilities of negative, neutral, positive, float32 [len(texts), 3]."""
        return blend(
            self.encoder.logits(texts),
            self.tfidf.log_probabilities(texts),
            self.tfidf_weight,
            self.bias,
        )


def blend(
    encoder_logits: NDArray[np.float32],
    tfidf_log_probs: NDArray[np.float64],
    tfidf_weight: float,
    bias: NDArray[np.float64],
) -> NDArray[np.float32]:
    """The blended probabilities (also what training tunes the weight and bias on)."""
    return softmax(encoder_logits + tfidf_weight * tfidf_log_probs + bias).astype(np.float32)
