"""Which runtime a text-model instance gets, and the fall back to the CPU."""

from pathlib import Path

import pytest

from services.inference.runtime import device
from services.inference.runtime.device import Runtime

REPOSITORY = Path(__file__).resolve().parents[2] / "services" / "inference" / "model_repository"


@pytest.mark.parametrize(
    ("kind", "torch_cuda", "onnxruntime_cuda", "expected"),
    [
        ("GPU", True, True, Runtime.TORCH_CUDA),
        ("GPU", True, False, Runtime.TORCH_CUDA),
        ("GPU", False, True, Runtime.ONNXRUNTIME_CUDA),
        ("GPU", False, False, Runtime.ONNXRUNTIME_CPU),
        ("CPU", True, True, Runtime.ONNXRUNTIME_CPU),
        ("CPU", False, False, Runtime.ONNXRUNTIME_CPU),
    ],
)
def test_gpu_instances_prefer_torch_then_onnxruntime_cuda_then_the_cpu(
    kind: str, torch_cuda: bool, onnxruntime_cuda: bool, expected: Runtime
) -> None:
    assert device.choose(kind, torch_cuda, onnxruntime_cuda) is expected


def test_an_instance_placed_on_a_gpu_without_a_gpu_runtime_still_serves_on_the_cpu() -> None:
    # This machine has no CUDA and the serving venv no torch: Triton's GPU placement must
    # not leave the model unloadable.
    assert not device.torch_cuda_available()
    runtime, model = device.load_text_model(
        REPOSITORY / "sentiment" / "1",
        "probabilities",
        "GPU",
        0,
        REPOSITORY / "minilm-encoder-layers-1-4.onnx",
    )
    assert runtime is Runtime.ONNXRUNTIME_CPU
    probabilities = model.run(["Lovely fabric, runs small.", "Broke after a day."])
    assert probabilities.shape == (2, 3)
    assert abs(float(probabilities.sum()) - 2.0) < 1e-4
