"""The weights of an exported MiniLM graph, read back by module name for the GPU runtime.

The ONNX files in the model repository are the one artefact of each model. The GPU runtime
(text_torch.py) rebuilds the same network in torch from them, so nothing else is stored and
the two paths cannot drift apart. The graphs were exported from torch (node names carry the
module path, e.g. `/classifier/layers.4/attention/self/query/MatMul`) and then shrunk: large
weights stored as fp16 behind a Cast, embedding tables as uint8 behind a DequantizeLinear,
some MatMuls as int8 MatMulInteger. Every one of those is turned back into a plain float
array here (int8 weights dequantised, per output channel), named as a torch state dict:
`embeddings.*`, `encoder.layer.<n>.*` (transformers' BertModel names) and `head.*`.

Needs `onnx` and numpy only.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

# "/classifier/layers.4/attention/self/query/MatMul_quant" -> "layers.4.attention.self.query"
_MATMUL = re.compile(r"/((?:layers\.\d+|head)(?:/[\w.]+)*?)/(?:Gemm_)?MatMul(?:_quant)?$")
_LAYERS = re.compile(r"^layers\.(\d+)\.")


def _torch_name(module_path: str) -> str:
    """Our export's module names -> transformers' BertModel names (plus `head`)."""
    name = module_path
    for prefix in ("classifier.encoder.", "classifier.", "encoder."):
        if name.startswith(prefix):
            name = name[len(prefix) :]
            break
    return _LAYERS.sub(r"encoder.layer.\1.", name)


def _dequantize(
    q: NDArray[np.uint8 | np.int8],
    scale: NDArray[np.float32],
    zero_point: NDArray[np.uint8 | np.int8],
    axis: int,
) -> NDArray[np.float32]:
    shape = [1] * q.ndim
    shape[axis] = -1
    s = np.asarray(scale, np.float32).reshape(shape if scale.size > 1 else ())
    z = np.asarray(zero_point, np.float32).reshape(shape if zero_point.size > 1 else ())
    return (q.astype(np.float32) - z) * s


def read_weights(path: Path) -> dict[str, NDArray[np.float32]]:
    """Every parameter of the graph at `path`, float32, under its torch name. Linear weights
    come out as torch stores them ([out, in]); ONNX MatMul keeps them as [in, out]."""
    import onnx
    from onnx import numpy_helper

    graph = onnx.load(str(path)).graph
    values = {t.name: numpy_helper.to_array(t) for t in graph.initializer}
    # Resolve the storage tricks so that each tensor name maps to its float value.
    for node in graph.node:
        if node.op_type == "Cast" and node.input[0] in values:
            values[node.output[0]] = values[node.input[0]].astype(np.float32)
    weights: dict[str, NDArray[np.float32]] = {}
    for name, value in values.items():
        # Named parameters (biases, LayerNorms) keep their module path in the name.
        if name.endswith((".bias", ".weight")) and value.dtype == np.float32:
            weights[_torch_name(name)] = value
        elif name.endswith(".weight_quantized"):
            base = name[: -len("_quantized")]
            if f"{base}_scale" in values and value.ndim == 2 and "embeddings" in base:
                # Embedding tables: per-tensor uint8 (a Gather then a DequantizeLinear).
                weights[_torch_name(base)] = _dequantize(
                    value, values[f"{base}_scale"], values[f"{base}_zero_point"], axis=1
                )
    for node in graph.node:
        match = _MATMUL.search(node.name)
        if not match or node.op_type not in ("MatMul", "MatMulInteger"):
            continue
        weight_input = node.input[1]
        if weight_input not in values:
            continue  # activation x activation (attention scores): no weight
        module = _torch_name(match.group(1).replace("/", "."))
        if node.op_type == "MatMulInteger":
            base = weight_input[: -len("_quantized")]
            matrix = _dequantize(
                values[weight_input],
                values[f"{base}_scale"],
                values[f"{base}_zero_point"],
                axis=1,  # per output channel: the columns of an [in, out] matrix
            )
        else:
            matrix = values[weight_input].astype(np.float32)
        weights[f"{module}.weight"] = np.ascontiguousarray(matrix.T)
    return weights


def dynamic_int8_modules(path: Path) -> set[str]:
    """Torch names of the Linear modules that the graph runs as dynamic int8 (MatMulInteger
    on an input quantised on the fly): the GPU runtime rounds their inputs the same way."""
    import onnx

    found = set()
    for node in onnx.load(str(path), load_external_data=False).graph.node:
        match = _MATMUL.search(node.name)
        if match and node.op_type == "MatMulInteger":
            found.add(_torch_name(match.group(1).replace("/", ".")))
    return found


def layer_norm_epsilon(path: Path) -> float:
    """The epsilon of the graph's LayerNormalization nodes (1e-12 for BERT)."""
    import onnx

    for node in onnx.load(str(path), load_external_data=False).graph.node:
        if node.op_type == "LayerNormalization":
            for attribute in node.attribute:
                if attribute.name == "epsilon":
                    return float(attribute.f)
    return 1e-5  # ONNX's default


def attention_heads(path: Path, hidden: int) -> int:
    """Heads of the first attention block, from its score scale 1 / sqrt(head size)."""
    import onnx
    from onnx import numpy_helper

    graph = onnx.load(str(path), load_external_data=False).graph
    constants = {
        node.output[0]: numpy_helper.to_array(node.attribute[0].t)
        for node in graph.node
        if node.op_type == "Constant" and node.attribute and node.attribute[0].name == "value"
    }
    for node in graph.node:
        if node.op_type == "Mul" and node.name.endswith("/attention/self/Mul"):
            scale = float(np.asarray(constants[node.input[1]]).reshape(-1)[0])
            return hidden // round(1.0 / scale**2)
    raise ValueError(f"{path}: no attention score scale found")
