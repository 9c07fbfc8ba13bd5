"""The python-backend side shared by the text models: request tensors in, response tensors out.

Every text of every request in Triton's dynamic batch is run in one go (sorted by length in
the runtime), then split back per request. A request whose bytes are not UTF-8 gets its own
error; the others in the batch are unaffected. The runtime (ONNX Runtime on the CPU, torch
fp16 on a GPU) is chosen per instance by device.py.
"""

import json
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import triton_python_backend_utils as pb_utils
from numpy.typing import NDArray

from services.inference.runtime import device


class TextBackend:
    INPUT: ClassVar[str] = "TEXT"
    OUTPUT: ClassVar[str]  # Triton output tensor name (config.pbtxt)
    ONNX_OUTPUT: ClassVar[str]  # output name inside model.onnx

    def initialize(self, args: dict[str, Any]) -> None:
        model_dir = Path(args["model_repository"])
        parameters = json.loads(args["model_config"]).get("parameters", {})
        # A file at the repository root: Triton loads only folders as models.
        shared = parameters.get("shared_encoder", {}).get("string_value")
        self.runtime, self.model = self.load(
            model_dir / args["model_version"],
            args["model_instance_kind"],
            int(args.get("model_instance_device_id") or 0),
            model_dir.parent / shared if shared else None,
        )
        pb_utils.Logger.log_info(
            f"{args['model_name']}: runtime {self.runtime.value}, numpy {np.__version__} "
            f"from {np.__file__}"
        )

    def load(
        self, version_dir: Path, instance_kind: str, device_id: int, shared_encoder: Path | None
    ) -> tuple[device.Runtime, device.TextRuntime]:
        """The runtime for this instance and the model in it (a version may override this)."""
        return device.load_text_model(
            version_dir, self.ONNX_OUTPUT, instance_kind, device_id, shared_encoder
        )

    def execute(self, requests: list[Any]) -> list[Any]:
        texts: list[list[str] | None] = []
        for request in requests:
            raw = pb_utils.get_input_tensor_by_name(request, self.INPUT).as_numpy().reshape(-1)
            try:
                texts.append([t.decode("utf-8") for t in raw])
            except UnicodeDecodeError:
                texts.append(None)
        flat = [t for batch in texts if batch for t in batch]
        outputs = self.model.run(flat) if flat else np.zeros((0, 0), np.float32)
        responses, offset = [], 0
        for batch in texts:
            if batch is None:
                error = pb_utils.TritonError("TEXT must be UTF-8")
                responses.append(pb_utils.InferenceResponse(output_tensors=[], error=error))
                continue
            part = np.ascontiguousarray(outputs[offset : offset + len(batch)])
            offset += len(batch)
            responses.append(pb_utils.InferenceResponse([output_tensor(self.OUTPUT, part)]))
        return responses


def output_tensor(name: str, array: NDArray[np.float32]) -> Any:
    """A response tensor. With numpy 2 the python-backend stub (built against numpy 1)
    returns tensors of the right shape and no data; through DLPack they arrive whole (seen on
    the GPU machines, numpy 2.5). Serving on the CPU pins numpy 1 and needs no torch."""
    if int(np.__version__.split(".")[0]) >= 2:
        import torch
        from torch.utils import dlpack

        return pb_utils.Tensor.from_dlpack(name, dlpack.to_dlpack(torch.from_numpy(array)))
    return pb_utils.Tensor(name, array)
