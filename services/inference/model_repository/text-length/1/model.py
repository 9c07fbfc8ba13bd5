"""Triton python-backend model: the length in characters of each UTF-8 text."""

import os
import sys

# The python-backend stub embeds an isolated interpreter that ignores PYTHONPATH;
# honour it here so the model sees the platform's virtualenv (numpy & co).
sys.path[:0] = [
    p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p and p not in sys.path
]

import numpy as np  # noqa: E402
import triton_python_backend_utils as pb_utils  # noqa: E402


class TritonPythonModel:
    def execute(self, requests):
        responses = []
        for request in requests:
            texts = pb_utils.get_input_tensor_by_name(request, "TEXT").as_numpy()
            lengths = np.array(
                [[len(t.decode("utf-8", errors="replace"))] for t in texts.reshape(-1)],
                dtype=np.int32,
            )
            responses.append(pb_utils.InferenceResponse([pb_utils.Tensor("LENGTH", lengths)]))
        return responses
