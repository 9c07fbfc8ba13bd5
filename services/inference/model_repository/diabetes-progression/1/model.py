"""Triton python-backend model `diabetes-progression`: a linear model (RidgeCV) run with numpy."""

import json
import os
import site
import sys
from pathlib import Path

for entry in os.environ.get("PYTHONPATH", "").split(os.pathsep):  # the stub ignores PYTHONPATH
    if entry and entry not in sys.path:
        site.addsitedir(entry)

import numpy as np  # noqa: E402
import triton_python_backend_utils as pb_utils  # noqa: E402


class TritonPythonModel:
    def initialize(self, args):
        spec = json.loads(
            (Path(args["model_repository"]) / args["model_version"] / "model.json").read_text()
        )
        self.features = spec["features"]
        self.coefficients = np.asarray(spec["coefficients"], dtype=np.float64)
        self.intercept = float(spec["intercept"])

    def execute(self, requests):
        responses = []
        for request in requests:
            columns = [
                pb_utils.get_input_tensor_by_name(request, name)
                .as_numpy()
                .reshape(-1)
                .astype(np.float64)
                for name in self.features
            ]
            values = np.stack(columns, axis=1) @ self.coefficients + self.intercept
            output = values.astype(np.float32).reshape(-1, 1)
            responses.append(pb_utils.InferenceResponse([pb_utils.Tensor("PROGRESSION", output)]))
        return responses
