"""ONNX's dynamic int8 MatMul, reproduced in float on the GPU.

`quantize_dynamic` graphs round a MatMul's input to uint8 on the fly (DynamicQuantizeLinear:
one scale and zero point over the whole tensor) before an int8 MatMulInteger. Running those
layers in plain fp16 would be more exact than the CPU path and so differ from it (embedding
cosine 0.9989 on dev); rounding the input the same way keeps both paths on one answer. The
weight is already the dequantised int8 one (onnx_weights.py).

The CPU path runs a dynamic batch in length-sorted groups of SUB_BATCH rows, each padded to
its own longest row and with its own scale. The GPU runs bigger batches in the same order,
so each group of SUB_BATCH rows gets its own scale, taken over the columns that group would
have had on the CPU (`group_columns`).
"""

from __future__ import annotations

import torch
from torch.nn import functional as F

from services.inference.runtime.text_onnx import SUB_BATCH


def fake_quantize_uint8(x: torch.Tensor, keep: torch.Tensor | None = None) -> torch.Tensor:
    """x rounded to the uint8 grid DynamicQuantizeLinear would use, one grid per group of
    SUB_BATCH rows, back in x's dtype. Each range is taken where `keep` (broadcast to x) is
    true; the grid always includes 0, so zeroing the rest (or padding with zero rows to whole
    groups) leaves them out."""
    rows = x.shape[0]
    groups = -(-rows // SUB_BATCH)
    compute = x.float()
    ranged = (compute if keep is None else compute * keep).reshape(rows, -1)
    pad = (0, groups * SUB_BATCH - rows)
    low = F.pad(ranged.amin(dim=1), pad).view(groups, SUB_BATCH).amin(dim=1).clamp(max=0.0)
    high = F.pad(ranged.amax(dim=1), pad).view(groups, SUB_BATCH).amax(dim=1).clamp(min=0.0)
    scale = ((high - low) / 255.0).clamp(min=torch.finfo(torch.float32).tiny)
    zero_point = torch.round(-low / scale).clamp(0, 255)
    shape = (rows,) + (1,) * (x.dim() - 1)
    scale = scale.repeat_interleave(SUB_BATCH)[:rows].view(shape)
    zero_point = zero_point.repeat_interleave(SUB_BATCH)[:rows].view(shape)
    q = torch.clamp(torch.round(compute / scale) + zero_point, 0, 255)
    return ((q - zero_point) * scale).to(x.dtype)


def group_columns(mask: torch.Tensor) -> torch.Tensor:
    """[batch, seq] attention mask of length-sorted rows -> [batch, seq, 1]: true up to the
    longest row of each row's group of SUB_BATCH, the width the CPU would have padded to."""
    lengths = mask.sum(dim=1)
    widths = torch.cat([group.amax().expand(len(group)) for group in lengths.split(SUB_BATCH)])
    columns = torch.arange(mask.shape[1], device=mask.device)
    return (columns[None, :] < widths[:, None]).unsqueeze(-1)


class DynamicInt8Linear(torch.nn.Linear):
    """A Linear whose input is rounded as ONNX's dynamic quantisation rounds it."""

    keep: torch.Tensor | None = None  # group_columns() of the batch being run, if 3-D input

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        keep = self.keep if x.dim() == 3 else None
        return F.linear(fake_quantize_uint8(x, keep), self.weight, self.bias)


def swap_in(model: torch.nn.Module, names: set[str]) -> list[DynamicInt8Linear]:
    """Turn the named nn.Linear submodules of `model` into DynamicInt8Linear, in place."""
    swapped = []
    for name in names:
        module = model.get_submodule(name)
        if not isinstance(module, torch.nn.Linear):
            raise ValueError(f"{name} is not a Linear")
        module.__class__ = DynamicInt8Linear
        swapped.append(module)
    return swapped
