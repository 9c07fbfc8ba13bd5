"""A text model in Triton's python backend: raw UTF-8 in, tokenised here, ONNX Runtime out.

Texts of all requests in one dynamic batch are sorted by token length and run in
sub-batches (tokens.py).

A model may be cut in two (training/shrink.py): a shared encoder graph at the repository root
computes the lower layers' `hidden_states`, and the model's own graph the rest.
"""

from pathlib import Path
from typing import Any

import numpy as np
import onnxruntime as ort
from numpy.typing import NDArray

from services.inference.runtime.tokens import load_tokenizer, sorted_batches

SUB_BATCH = 32
HIDDEN = "hidden_states"  # the tensor between a shared encoder and a model's own graph


def session_for(
    model_file: Path, instance_kind: str, device_id: int, threads: int = 0
) -> ort.InferenceSession:
    """CUDA when Triton placed this instance on a GPU and onnxruntime can use it; else CPU.
    `threads`: ONNX Runtime's intra-op threads (0: its default, one per physical core)."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    # A cut model runs two sessions back to back; the idle one's spinning threads would take
    # the cores from the busy one (measured: 30 % slower on 2 cores with spinning on).
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    providers: list[str | tuple[str, dict[str, int]]] = ["CPUExecutionProvider"]
    if instance_kind == "GPU" and "CUDAExecutionProvider" in ort.get_available_providers():
        providers = [("CUDAExecutionProvider", {"device_id": device_id}), "CPUExecutionProvider"]
    return ort.InferenceSession(str(model_file), options, providers=providers)


class TextModel:
    def __init__(
        self,
        version_dir: Path,
        output_name: str,
        instance_kind: str,
        device_id: int,
        shared_encoder: Path | None = None,
        threads: int = 0,
    ) -> None:
        self.tokenizer = load_tokenizer(version_dir)
        self.session = session_for(version_dir / "model.onnx", instance_kind, device_id, threads)
        self.encoder = (
            session_for(shared_encoder, instance_kind, device_id, threads)
            if shared_encoder
            else None
        )
        self.output_name = output_name

    def run(self, texts: list[str]) -> NDArray[np.float32]:
        """One output row per text, in the order given."""
        results: list[NDArray[np.floating[Any]]] = [np.empty(0)] * len(texts)
        for chunk, ids, mask in sorted_batches(self.tokenizer, texts, SUB_BATCH):
            out = self._forward(ids, mask)
            for row, i in enumerate(chunk):
                results[i] = out[row]
        return np.stack(results).astype(np.float32)

    def _forward(
        self, ids: NDArray[np.int64], mask: NDArray[np.int64]
    ) -> NDArray[np.floating[Any]]:
        if self.encoder is None:
            feeds = {"input_ids": ids, "attention_mask": mask}
        else:
            (hidden,) = self.encoder.run([HIDDEN], {"input_ids": ids, "attention_mask": mask})
            feeds = {HIDDEN: hidden, "attention_mask": mask}
        (out,) = self.session.run([self.output_name], feeds)
        return out
