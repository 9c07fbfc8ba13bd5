"""Sentiment v2's network: MiniLM fine-tuned whole, fed word embeddings from outside.

The word-embedding table (30522 x 384, 11.7 MB even as int8) is frozen at the int8 values of
the shared encoder file (`minilm-encoder-layers-1-4.onnx`), so v2 stores none of it: serving
looks the ids up in that table (runtime/text_v2.py) and the graph starts from the looked-up
vectors. Everything after the lookup (position and type embeddings, LayerNorm, the six
layers, mean pooling, the head) is trained and lives in v2's own model.onnx.

Training-only (torch); the graph contract is `word_embeddings` float32 [batch, seq, 384] +
`attention_mask` int64 [batch, seq] -> `logits` float32 [batch, 3].
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from numpy.typing import NDArray
from torch import nn

from services.inference.runtime import onnx_weights
from services.inference.training import minilm

SHARED_ENCODER = (
    Path(__file__).resolve().parents[1] / "model_repository" / "minilm-encoder-layers-1-4.onnx"
)


def shared_word_embeddings(path: Path = SHARED_ENCODER) -> NDArray[np.float32]:
    """The int8 word-embedding table of the shared encoder, dequantised (what serving uses)."""
    return onnx_weights.read_weights(path)["embeddings.word_embeddings.weight"]


class ClassifierV2(nn.Module):
    """Looked-up word vectors -> MiniLM (all layers trainable) -> mean pool -> dropout -> head."""

    def __init__(self, bert: nn.Module, dropout: float = 0.1) -> None:
        super().__init__()
        self.embeddings = bert.embeddings  # word_embeddings inside stays frozen
        self.encoder = minilm.Encoder(bert)
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(minilm.HIDDEN, 3)

    def lookup(self, input_ids: torch.Tensor) -> torch.Tensor:
        return self.embeddings.word_embeddings(input_ids)

    def forward(self, word_embeddings: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        emb = self.embeddings
        positions = torch.arange(word_embeddings.shape[1], device=word_embeddings.device)
        x = word_embeddings + emb.position_embeddings(positions)[None]
        x = emb.dropout(emb.LayerNorm(x + emb.token_type_embeddings.weight[0]))
        hidden = self.encoder.run_layers(x, attention_mask, 0, minilm.NUM_LAYERS)
        return self.head(self.dropout(minilm.mean_pool(hidden, attention_mask)))


def build(attn_implementation: str) -> ClassifierV2:
    """Pre-trained MiniLM with the shared int8 word table swapped in and frozen."""
    model = ClassifierV2(minilm.load_bert(attn_implementation))
    table = torch.from_numpy(shared_word_embeddings())
    with torch.no_grad():
        model.embeddings.word_embeddings.weight.copy_(table)
    model.embeddings.word_embeddings.weight.requires_grad_(False)
    return model


def export_logits_graph(model: ClassifierV2, path: Path) -> None:
    """fp32 ONNX, dynamic batch and sequence: word_embeddings, attention_mask -> logits."""
    minilm.export_onnx(model, path, "logits", "word_embeddings", model.lookup)
