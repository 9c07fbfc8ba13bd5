"""Shrink the exported MiniLM graphs for the repository: one shared encoder part, fp16 storage.

`sentiment` fine-tunes only the top two of MiniLM's six layers, so its lower four layers (and
the word embeddings) are byte-for-byte those of `embedding`. Both models are cut after
layer 4: the lower part is stored once at the model repository's root (Triton ignores files
there) and each model keeps only its own upper layers. Large fp32 weights are stored as fp16
with a Cast in front; onnxruntime folds the Cast at load, so it still computes in fp32 and
only the file halves. Needs `onnx` only (no torch): run it after train_sentiment.py and
export_embedding.py, which write full graphs to each model's 1/model.onnx.

Cutting is checked: the composed lower + upper graphs must reproduce the full graph's
outputs on sample texts (cosine >= 0.98; embedding's full export is int8, its cut runs
the shared fp32 layers, hence not exact).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import onnx
import onnx.utils
from onnx import TensorProto, helper, numpy_helper

REPOSITORY = Path(__file__).resolve().parents[1] / "model_repository"
ENCODER_FILE = "minilm-encoder-layers-1-4.onnx"  # name shared with the runtime's config
CUT_AFTER_LAYER = 3  # zero-based: layers 0..3 are shared, 4..5 belong to each model
HIDDEN = "hidden_states"
FP16_MIN_ELEMENTS = 65_536  # small tensors (biases, norms) stay fp32: no size to win
MODELS = {"sentiment": "probabilities", "embedding": "embedding"}
SAMPLES = [
    "Great product, works exactly as described.",
    "Broke after two days. Waste of money!",
    "It's okay, nothing special but does the job I suppose.",
    "",
]


def cut_tensor(model: onnx.ModelProto) -> str:
    """Output of the last LayerNorm of layer CUT_AFTER_LAYER, whatever the module prefix."""
    suffix = f"/layers.{CUT_AFTER_LAYER}/output/LayerNorm/LayerNormalization"
    for node in model.graph.node:
        if node.name.endswith(suffix) and node.op_type == "LayerNormalization":
            return node.output[0]
    raise SystemExit(f"no node ending in {suffix}: not an exported MiniLM graph?")


def rename_tensor(model: onnx.ModelProto, old: str, new: str) -> None:
    for node in model.graph.node:
        node.input[:] = [new if name == old else name for name in node.input]
        node.output[:] = [new if name == old else name for name in node.output]
    for value in [*model.graph.input, *model.graph.output]:
        if value.name == old:
            value.name = new


def store_fp16(model: onnx.ModelProto) -> None:
    """Large fp32 initializers become fp16 ones plus a Cast back to fp32 under the old name."""
    graph = model.graph
    casts, kept = [], []
    for tensor in graph.initializer:
        array = numpy_helper.to_array(tensor)
        if tensor.data_type != TensorProto.FLOAT or array.size < FP16_MIN_ELEMENTS:
            kept.append(tensor)
            continue
        half = numpy_helper.from_array(array.astype(np.float16), f"{tensor.name}__fp16")
        kept.append(half)
        casts.append(helper.make_node("Cast", [half.name], [tensor.name], to=TensorProto.FLOAT))
    del graph.initializer[:]
    graph.initializer.extend(kept)
    nodes = list(graph.node)
    del graph.node[:]
    graph.node.extend(casts + nodes)


def quantize_word_embeddings(src: Path, dest: Path) -> None:
    """int8 word-embedding table (a Gather; 12 MB instead of 47): no measurable cost on dev.
    A graph whose table is already int8 is copied as it is."""
    graph = onnx.load(str(src)).graph
    fp32 = {t.name for t in graph.initializer if t.data_type == TensorProto.FLOAT}
    if not any(n.op_type == "Gather" and n.input[0] in fp32 for n in graph.node):
        dest.write_bytes(src.read_bytes())
        return
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(
        str(src), str(dest), weight_type=QuantType.QUInt8, op_types_to_quantize=["Gather"]
    )


def extract(src: Path, dest: Path, inputs: list[str], outputs: list[str]) -> onnx.ModelProto:
    onnx.utils.extract_model(str(src), str(dest), inputs, outputs)
    return onnx.load(str(dest))


def is_full_graph(path: Path) -> bool:
    return "input_ids" in {
        i.name for i in onnx.load(str(path), load_external_data=False).graph.input
    }


def shrink(repository: Path, work: Path) -> None:
    sources = {name: repository / name / "1" / "model.onnx" for name in MODELS}
    full = {name: work / f"{name}-full.onnx" for name in MODELS}
    for name, path in sources.items():
        # A freshly exported full graph replaces the one kept from an earlier run.
        if is_full_graph(path):
            full[name].write_bytes(path.read_bytes())
        elif not full[name].exists():
            raise SystemExit(f"{path} is already cut and {full[name]} is missing: re-export it")

    # sentiment's lower layers are MiniLM's own (frozen in training) and fp32 there, where the
    # embedding export is int8; the fp32 ones serve both models better.
    lower_src = full["sentiment"]
    lower = extract(
        lower_src,
        work / "lower.onnx",
        ["input_ids", "attention_mask"],
        [cut_tensor(onnx.load(str(lower_src)))],
    )
    rename_tensor(lower, lower.graph.output[0].name, HIDDEN)
    store_fp16(lower)
    onnx.save(lower, str(work / "lower-fp16.onnx"))
    quantize_word_embeddings(work / "lower-fp16.onnx", repository / ENCODER_FILE)

    for name, output in MODELS.items():
        boundary = cut_tensor(onnx.load(str(full[name])))
        upper = extract(
            full[name], work / f"{name}-upper.onnx", [boundary, "attention_mask"], [output]
        )
        rename_tensor(upper, boundary, HIDDEN)
        store_fp16(upper)
        onnx.save(upper, str(sources[name]))

    for name, output in MODELS.items():
        cosine = compare(full[name], repository / ENCODER_FILE, sources[name], output)
        print(f"{name}: lowest cosine(full, cut) over the samples = {cosine:.5f}")
        if cosine < 0.98:
            raise SystemExit(
                f"{name}: the cut graphs disagree with the full graph; were sentiment's lower"
                " layers fine-tuned (GPU recipe)? Then they cannot be shared."
            )


def compare(full: Path, lower: Path, upper: Path, output: str) -> float:
    import onnxruntime as ort
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(upper.parent / "tokenizer.json"))
    tokenizer.no_padding()
    worst = 1.0
    cpu = ["CPUExecutionProvider"]
    sessions = [ort.InferenceSession(str(p), providers=cpu) for p in (full, lower, upper)]
    for text in SAMPLES:
        ids = np.array([tokenizer.encode(text).ids], dtype=np.int64)
        mask = np.ones_like(ids)
        (want,) = sessions[0].run([output], {"input_ids": ids, "attention_mask": mask})
        (hidden,) = sessions[1].run([HIDDEN], {"input_ids": ids, "attention_mask": mask})
        (got,) = sessions[2].run([output], {HIDDEN: hidden, "attention_mask": mask})
        cosine = float(want[0] @ got[0] / (np.linalg.norm(want[0]) * np.linalg.norm(got[0])))
        worst = min(worst, cosine)
    return worst


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--repository", type=Path, default=REPOSITORY)
    parser.add_argument(
        "--work", type=Path, default=Path(".build/models"), help="keeps the full graphs"
    )
    args = parser.parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)
    shrink(args.repository, args.work)
    return 0


if __name__ == "__main__":
    sys.exit(main())
