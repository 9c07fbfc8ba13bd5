"""The model repository really runs inside Triton (python backend, nvidia-pytriton wheel)."""

import numpy as np
import pytest
import tritonclient.grpc as triton_grpc
from tritonclient.utils import InferenceServerException


def infer_lengths(url: str, texts: list[str]) -> list[int]:
    client = triton_grpc.InferenceServerClient(url)
    try:
        data = np.array([[t.encode()] for t in texts], dtype=object)
        text = triton_grpc.InferInput("TEXT", list(data.shape), "BYTES")
        text.set_data_from_numpy(data)
        result = client.infer("text-length", [text])
        return [int(v) for v in result.as_numpy("LENGTH").reshape(-1)]
    finally:
        client.close()


def test_placeholder_model_counts_characters_in_triton(triton):
    assert infer_lengths(triton.url, ["hello", "héllo wörld", ""]) == [5, 11, 0]


def test_triton_reports_the_model_ready(triton):
    client = triton_grpc.InferenceServerClient(triton.url)
    try:
        assert client.is_model_ready("text-length")
        assert not client.is_model_ready("no-such-model")
    finally:
        client.close()


def test_wrong_input_name_is_rejected_by_triton(triton):
    client = triton_grpc.InferenceServerClient(triton.url)
    try:
        wrong = triton_grpc.InferInput("NOT_TEXT", [1, 1], "BYTES")
        wrong.set_data_from_numpy(np.array([[b"x"]], dtype=object))
        with pytest.raises(InferenceServerException):
            client.infer("text-length", [wrong])
    finally:
        client.close()
