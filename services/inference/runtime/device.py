"""Which runtime a text-model instance gets: torch on the GPU, else ONNX Runtime.

Triton says where it placed the instance (`model_instance_kind`: GPU or CPU). On a GPU the
model runs in fp16 through torch (text_torch.py) when torch can reach CUDA; ONNX Runtime's
CUDA provider is the next choice (an onnxruntime-gpu build); anything else runs on the CPU,
so an image without torch or without a working GPU still serves, only slower.
"""

from __future__ import annotations

import importlib.util
import logging
from enum import StrEnum
from pathlib import Path
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

log = logging.getLogger(__name__)


class Runtime(StrEnum):
    TORCH_CUDA = "torch-cuda"
    ONNXRUNTIME_CUDA = "onnxruntime-cuda"
    ONNXRUNTIME_CPU = "onnxruntime-cpu"


class TextRuntime(Protocol):
    def run(self, texts: list[str]) -> NDArray[np.float32]: ...


def choose(instance_kind: str, torch_cuda: bool, onnxruntime_cuda: bool) -> Runtime:
    """The rule, apart from probing the machine (so a unit test can pin it)."""
    if instance_kind != "GPU":
        return Runtime.ONNXRUNTIME_CPU
    if torch_cuda:
        return Runtime.TORCH_CUDA
    if onnxruntime_cuda:
        return Runtime.ONNXRUNTIME_CUDA
    return Runtime.ONNXRUNTIME_CPU


def torch_cuda_available() -> bool:
    """True when torch and transformers import and torch sees a CUDA device."""
    if (
        importlib.util.find_spec("torch") is None
        or importlib.util.find_spec("transformers") is None
    ):
        return False
    try:
        import torch

        return bool(torch.cuda.is_available())
    except Exception:  # a broken CUDA install must not stop the CPU path
        log.exception("torch is installed but cannot reach CUDA")
        return False


def onnxruntime_cuda_available() -> bool:
    import onnxruntime as ort

    return "CUDAExecutionProvider" in ort.get_available_providers()


def load_text_model(
    version_dir: Path,
    output_name: str,
    instance_kind: str,
    device_id: int,
    shared_encoder: Path | None,
) -> tuple[Runtime, TextRuntime]:
    """The runtime chosen for this instance, and the model loaded into it."""
    gpu = instance_kind == "GPU"
    runtime = choose(
        instance_kind,
        torch_cuda=gpu and torch_cuda_available(),
        onnxruntime_cuda=gpu and onnxruntime_cuda_available(),
    )
    if runtime is Runtime.TORCH_CUDA:
        from services.inference.runtime.text_torch import TorchTextModel

        return runtime, TorchTextModel(version_dir, output_name, device_id, shared_encoder)
    from services.inference.runtime.text_onnx import TextModel

    # TextModel itself puts the session on CUDA when onnxruntime has the provider.
    kind = "GPU" if runtime is Runtime.ONNXRUNTIME_CUDA else "CPU"
    return runtime, TextModel(version_dir, output_name, kind, device_id, shared_encoder)
