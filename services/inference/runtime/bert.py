"""A BERT encoder in plain torch, shaped to the weights it is given (GPU runtime only).

Named like transformers' BertModel (`embeddings.*`, `encoder.layer.<n>.*`) so that the
weights read from the ONNX graphs load as they are. Written out here rather than imported
from transformers: the GPU image then needs torch alone, and attention goes straight to
torch's fused scaled_dot_product_attention (flash / memory-efficient kernels in fp16).
Post-LayerNorm, GELU (erf), absolute positions, token type 0: BERT as MiniLM uses it.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F


class Embeddings(nn.Module):
    def __init__(self, vocab: int, positions: int, types: int, hidden: int, eps: float) -> None:
        super().__init__()
        self.word_embeddings = nn.Embedding(vocab, hidden)
        self.position_embeddings = nn.Embedding(positions, hidden)
        self.token_type_embeddings = nn.Embedding(types, hidden)
        self.LayerNorm = nn.LayerNorm(hidden, eps=eps)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        positions = torch.arange(ids.shape[1], device=ids.device)
        x = self.word_embeddings(ids) + self.position_embeddings(positions)[None]
        return self.LayerNorm(x + self.token_type_embeddings.weight[0])


class SelfAttention(nn.Module):
    def __init__(self, hidden: int) -> None:
        super().__init__()
        self.query = nn.Linear(hidden, hidden)
        self.key = nn.Linear(hidden, hidden)
        self.value = nn.Linear(hidden, hidden)


class Output(nn.Module):
    """A dense projection, then residual + LayerNorm."""

    def __init__(self, inner: int, hidden: int, eps: float) -> None:
        super().__init__()
        self.dense = nn.Linear(inner, hidden)
        self.LayerNorm = nn.LayerNorm(hidden, eps=eps)

    def forward(self, x: torch.Tensor, residual: torch.Tensor) -> torch.Tensor:
        return self.LayerNorm(self.dense(x) + residual)


class Attention(nn.Module):
    def __init__(self, hidden: int, heads: int, eps: float) -> None:
        super().__init__()
        self.heads = heads
        self.self = SelfAttention(hidden)
        self.output = Output(hidden, hidden, eps)

    def forward(self, x: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
        batch, seq, hidden = x.shape

        def split(t: torch.Tensor) -> torch.Tensor:
            return t.view(batch, seq, self.heads, hidden // self.heads).transpose(1, 2)

        q, k, v = split(self.self.query(x)), split(self.self.key(x)), split(self.self.value(x))
        context = F.scaled_dot_product_attention(q, k, v, attn_mask=bias)
        return self.output(context.transpose(1, 2).reshape(batch, seq, hidden), x)


class Intermediate(nn.Module):
    def __init__(self, hidden: int, inner: int) -> None:
        super().__init__()
        self.dense = nn.Linear(hidden, inner)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.gelu(self.dense(x))


class Layer(nn.Module):
    def __init__(self, hidden: int, heads: int, inner: int, eps: float) -> None:
        super().__init__()
        self.attention = Attention(hidden, heads, eps)
        self.intermediate = Intermediate(hidden, inner)
        self.output = Output(inner, hidden, eps)

    def forward(self, x: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
        x = self.attention(x, bias)
        return self.output(self.intermediate(x), x)


class Encoder(nn.Module):
    def __init__(self, layers: int, hidden: int, heads: int, inner: int, eps: float) -> None:
        super().__init__()
        self.layer = nn.ModuleList(Layer(hidden, heads, inner, eps) for _ in range(layers))


class Bert(nn.Module):
    """Token ids + 0/1 attention mask -> the last layer's hidden states."""

    def __init__(
        self,
        vocab: int,
        positions: int,
        types: int,
        hidden: int,
        layers: int,
        heads: int,
        inner: int,
        eps: float,
    ) -> None:
        super().__init__()
        self.embeddings = Embeddings(vocab, positions, types, hidden, eps)
        self.encoder = Encoder(layers, hidden, heads, inner, eps)

    def forward(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        x = self.embeddings(ids)
        # Additive bias: padded keys get the dtype's lowest value, so softmax gives them 0.
        bias = (1.0 - mask[:, None, None, :].to(x.dtype)) * torch.finfo(x.dtype).min
        for layer in self.encoder.layer:
            x = layer(x, bias)
        return x
