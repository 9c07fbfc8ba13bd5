"""A text model on the GPU: the same network as the ONNX graphs, rebuilt in torch, in fp16.

Used only when Triton places an instance on a GPU and torch can reach CUDA (device.py
decides); the CPU path never imports this file, so CPU serving needs no torch. The weights
come from the model's own ONNX files (onnx_weights.py): a BERT encoder in torch (bert.py,
fused SDPA attention), then mean pooling and the model's top: softmax over a linear
head for a classifier, L2 normalisation for an embedder.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from numpy.typing import NDArray

from services.inference.runtime import dynamic_int8, onnx_weights
from services.inference.runtime.bert import Bert
from services.inference.runtime.tokens import load_tokenizer, sorted_batches

GPU_SUB_BATCH = 256  # a GPU wants big batches; length sorting still trims the padding


class TorchTextModel:
    def __init__(
        self,
        version_dir: Path,
        output_name: str,
        device_id: int,
        shared_encoder: Path | None = None,
        dtype: torch.dtype | None = None,
        device: str = "cuda",
    ) -> None:
        dtype = dtype or (torch.float16 if device == "cuda" else torch.float32)
        self.tokenizer = load_tokenizer(version_dir)
        self.device = torch.device(f"{device}:{device_id}" if device == "cuda" else device)
        graphs = (
            [shared_encoder, version_dir / "model.onnx"]
            if shared_encoder
            else [version_dir / "model.onnx"]
        )
        weights: dict[str, NDArray[np.float32]] = {}
        int8: set[str] = set()
        for graph in graphs:
            weights.update(onnx_weights.read_weights(graph))
            int8 |= onnx_weights.dynamic_int8_modules(graph)
        self.bert = _bert(weights, onnx_weights.layer_norm_epsilon(graphs[-1]), graphs[0])
        self.head: torch.nn.Linear | None = None
        if "head.weight" in weights:
            out_features, in_features = weights["head.weight"].shape
            self.head = torch.nn.Linear(in_features, out_features)
            self.head.load_state_dict(_tensors(weights, "head."))
            self.head.to(self.device, dtype).eval()
            if "head" in int8:
                dynamic_int8.swap_in(self.head, {""})  # "" names the module itself
        self.int8 = dynamic_int8.swap_in(self.bert, {n for n in int8 if n != "head"})
        self.bert.to(self.device, dtype).eval()
        self.output_name = output_name

    def run(self, texts: list[str]) -> NDArray[np.float32]:
        """One output row per text, in the order given (float32, like the CPU path)."""
        return self.run_tensor(texts).numpy()

    @torch.inference_mode()
    def run_tensor(self, texts: list[str]) -> torch.Tensor:
        """The same as run(), as a CPU float32 tensor (Triton takes it through DLPack)."""
        order: list[int] = []
        outputs: list[torch.Tensor] = []
        for chunk, ids, mask in sorted_batches(self.tokenizer, texts, GPU_SUB_BATCH):
            order += chunk
            outputs.append(self._forward(torch.from_numpy(ids), torch.from_numpy(mask)))
        sorted_out = torch.cat(outputs).float().cpu()
        result = torch.empty_like(sorted_out)
        result[torch.tensor(order)] = sorted_out
        return result

    def _forward(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        ids = ids.to(self.device, non_blocking=True)
        mask = mask.to(self.device, non_blocking=True)
        if self.int8:
            keep = dynamic_int8.group_columns(mask)
            for module in self.int8:
                module.keep = keep
        hidden = self.bert(ids, mask)
        weights = mask.unsqueeze(-1).to(hidden.dtype)
        # Pooling sums in fp32: a long text's sum of 128 fp16 vectors loses digits otherwise.
        pooled = (hidden.float() * weights.float()).sum(1) / weights.float().sum(1).clamp(min=1e-9)
        if self.head is not None:
            return torch.softmax(self.head(pooled.to(hidden.dtype)).float(), dim=-1)
        return torch.nn.functional.normalize(pooled, p=2.0, dim=1)


def _bert(weights: dict[str, NDArray[np.float32]], epsilon: float, graph: Path) -> Bert:
    """A Bert shaped by the weights it is given, holding exactly those weights."""
    vocab, hidden = weights["embeddings.word_embeddings.weight"].shape
    model = Bert(
        vocab=vocab,
        positions=weights["embeddings.position_embeddings.weight"].shape[0],
        types=weights["embeddings.token_type_embeddings.weight"].shape[0],
        hidden=hidden,
        layers=1 + max(int(k.split(".")[2]) for k in weights if k.startswith("encoder.layer.")),
        heads=onnx_weights.attention_heads(graph, hidden),
        inner=weights["encoder.layer.0.intermediate.dense.weight"].shape[0],
        eps=epsilon,
    )
    # strict: every weight of the graphs has its place, and every place its weight.
    model.load_state_dict(
        {k: v for k, v in _tensors(weights, "").items() if not k.startswith("head.")}
    )
    return model


def _tensors(weights: dict[str, NDArray[np.float32]], prefix: str) -> dict[str, torch.Tensor]:
    """The weights under `prefix`, the prefix removed, as (copied, writable) tensors."""
    return {k[len(prefix) :]: torch.tensor(v) for k, v in weights.items() if k.startswith(prefix)}
