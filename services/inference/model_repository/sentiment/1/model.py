"""Triton python-backend model `sentiment`: review sentiment probabilities."""

import os
import site
import sys

# The stub's interpreter ignores PYTHONPATH; adding its entries as site directories also
# runs their .pth files, which put the platform's code on the path.
for entry in os.environ.get("PYTHONPATH", "").split(os.pathsep):
    if entry and entry not in sys.path:
        site.addsitedir(entry)

from services.inference.runtime.triton_text import TextBackend  # noqa: E402


class TritonPythonModel(TextBackend):
    OUTPUT = "PROBABILITIES"
    ONNX_OUTPUT = "probabilities"
