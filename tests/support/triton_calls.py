"""Direct tritonclient calls: what any Triton client sees, and the reference leg of benchmarks."""

import numpy as np
import tritonclient.grpc as triton_grpc

DIABETES_FEATURES = ("age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6")


def text_input(texts: list[str]) -> triton_grpc.InferInput:
    data = np.array([[t.encode("utf-8")] for t in texts], dtype=object)
    tensor = triton_grpc.InferInput("TEXT", list(data.shape), "BYTES")
    tensor.set_data_from_numpy(data)
    return tensor


def infer_text(
    client: triton_grpc.InferenceServerClient, model: str, output: str, texts: list[str], **kw
) -> np.ndarray:
    result = client.infer(
        model, [text_input(texts)], outputs=[triton_grpc.InferRequestedOutput(output)], **kw
    )
    return result.as_numpy(output)


def infer_diabetes(
    client: triton_grpc.InferenceServerClient, rows: list[dict[str, float]]
) -> np.ndarray:
    inputs = []
    for name in DIABETES_FEATURES:
        column = np.array([[row[name]] for row in rows], dtype=np.float32)
        tensor = triton_grpc.InferInput(name, list(column.shape), "FP32")
        tensor.set_data_from_numpy(column)
        inputs.append(tensor)
    return client.infer("diabetes-progression", inputs).as_numpy("PROGRESSION").reshape(-1)


def expected_rows(expected) -> tuple[list[dict[str, float]], list[float]]:
    """expected.json: {"rows": [{feature: value}...], "predictions": [...]} (or a list of pairs)."""
    if isinstance(expected, dict):
        return expected["rows"], expected["predictions"]
    return [e["features"] for e in expected], [e["prediction"] for e in expected]
