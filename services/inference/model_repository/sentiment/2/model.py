"""Triton python-backend model `sentiment`, version 2: fine-tuned MiniLM + TF-IDF blend."""

import os
import site
import sys
from pathlib import Path

# The stub's interpreter ignores PYTHONPATH; adding its entries as site directories also
# runs their .pth files, which put the platform's code on the path.
for entry in os.environ.get("PYTHONPATH", "").split(os.pathsep):
    if entry and entry not in sys.path:
        site.addsitedir(entry)

from services.inference.runtime import device  # noqa: E402
from services.inference.runtime.text_v2 import SentimentV2  # noqa: E402
from services.inference.runtime.triton_text import TextBackend  # noqa: E402


class TritonPythonModel(TextBackend):
    OUTPUT = "PROBABILITIES"
    ONNX_OUTPUT = "logits"

    def load(
        self, version_dir: Path, instance_kind: str, device_id: int, shared_encoder: Path | None
    ) -> tuple[device.Runtime, device.TextRuntime]:
        """ONNX Runtime always (CUDA when Triton placed the instance on a GPU and onnxruntime
        has it); the torch GPU path serves v1's graph shape only."""
        if shared_encoder is None:
            raise ValueError("sentiment v2 needs the shared encoder's word table")
        gpu = instance_kind == "GPU" and device.onnxruntime_cuda_available()
        runtime = device.Runtime.ONNXRUNTIME_CUDA if gpu else device.Runtime.ONNXRUNTIME_CPU
        kind = "GPU" if gpu else "CPU"
        return runtime, SentimentV2(version_dir, shared_encoder, kind, device_id)
