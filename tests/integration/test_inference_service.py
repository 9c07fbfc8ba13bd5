"""The inference service over gRPC in front of a real Triton."""

import asyncio
import json
import time

import grpc
import numpy as np
import pytest
import tritonclient.grpc as triton_grpc
from tritonclient.utils import InferenceServerException

from inferlane.common.errors import DOMAIN_CODE_KEY
from inferlane.inference.v1 import inference_service_pb2 as pb
from inferlane.inference.v1 import inference_service_pb2_grpc, inference_types_pb2
from tests.support.accounts import create_account
from tests.support.grpc_errors import failure
from tests.support.inference_calls import rows, start_inference
from tests.support.servers import Triton
from tests.support.triton_calls import expected_rows, text_input
from tests.support.waiting import eventually
from tools.devstack.embedded import MODEL_REPOSITORY


@pytest.fixture
async def inference(start_process, auth_server, triton):
    return await start_inference(start_process, auth_server, triton.url)


@pytest.fixture
async def caller(auth_channel):
    return await create_account(auth_channel)


@pytest.fixture
async def stub(inference):
    async with grpc.aio.insecure_channel(inference.address) as channel:
        yield inference_service_pb2_grpc.InferenceServiceStub(channel)


async def predict(stub, caller, model, *records):
    return await stub.Predict(
        pb.PredictRequest(model=model, inputs=rows(*records)), metadata=caller.metadata
    )


async def test_catalog_lists_every_model_ready(stub, caller):
    models = {
        m.name: m
        for m in (await stub.ListModels(pb.ListModelsRequest(), metadata=caller.metadata)).models
    }
    assert set(models) == {"sentiment", "embedding", "diabetes-progression"}
    assert all(m.ready for m in models.values())
    sentiment = models["sentiment"]
    assert sentiment.kind == inference_types_pb2.MODEL_KIND_TEXT_CLASSIFICATION
    assert list(sentiment.labels) == ["negative", "neutral", "positive"]
    assert sentiment.max_text_length == 512 and [i.name for i in sentiment.inputs] == ["text"]


async def test_get_unknown_model_is_not_found(stub, caller):
    error = await failure(stub.GetModel(pb.GetModelRequest(name="nope"), metadata=caller.metadata))
    assert error.code() == grpc.StatusCode.NOT_FOUND


async def test_sentiment_predicts_a_label_with_three_scores(stub, caller):
    reply = await predict(
        stub,
        caller,
        "sentiment",
        {"text": "Absolutely love this top!"},
        {"text": "Terrible, it ripped."},
    )
    labels = [o.classification.label for o in reply.outputs]
    assert labels == ["positive", "negative"]
    scores = dict(reply.outputs[0].classification.scores)
    assert (
        set(scores) == {"negative", "neutral", "positive"} and abs(sum(scores.values()) - 1) < 1e-4
    )
    default = (await stub.GetModel(pb.GetModelRequest(name="sentiment"))).model.version
    assert (reply.model, reply.version) == ("sentiment", default)


async def test_embedding_and_regression_outputs(stub, caller):
    vector = (
        (await predict(stub, caller, "embedding", {"text": "hello"})).outputs[0].embedding.vector
    )
    assert len(vector) == 384 and abs(np.linalg.norm(vector) - 1) < 1e-3
    expected = json.loads(
        (MODEL_REPOSITORY / "diabetes-progression" / "1" / "expected.json").read_text()
    )
    features, predictions = expected_rows(expected)
    reply = await predict(stub, caller, "diabetes-progression", *features[:3])
    assert [round(o.regression.value, 3) for o in reply.outputs] == pytest.approx(
        predictions[:3], abs=1e-3
    )


async def test_concurrent_calls_each_get_their_own_answers(stub, caller):
    """Calls in flight together share Triton requests (merged_calls.py): every call still
    gets exactly its own rows' answers, in its own order. (The regression model answers a
    row the same in any batch; the int8 text models' scores move a little with what they
    are batched with, here as with Triton's own batching.)"""
    expected = json.loads(
        (MODEL_REPOSITORY / "diabetes-progression" / "1" / "expected.json").read_text()
    )
    features, predictions = expected_rows(expected)
    calls = [(a, min(len(features), a + 1 + a % 3)) for a in range(len(features))] * 2
    replies = await asyncio.gather(
        *(predict(stub, caller, "diabetes-progression", *features[a:b]) for a, b in calls)
    )
    for (a, b), reply in zip(calls, replies, strict=True):
        assert [o.regression.value for o in reply.outputs] == pytest.approx(
            predictions[a:b], abs=1e-3
        )


@pytest.mark.parametrize(
    ("model", "records", "status"),
    [
        ("sentiment", [], grpc.StatusCode.INVALID_ARGUMENT),
        ("sentiment", [{"text": "x" * 513}], grpc.StatusCode.INVALID_ARGUMENT),
        ("sentiment", [{"text": 42}], grpc.StatusCode.INVALID_ARGUMENT),
        ("sentiment", [{"text": " \t\n "}], grpc.StatusCode.INVALID_ARGUMENT),
        ("sentiment", [{"review": "wrong column"}], grpc.StatusCode.INVALID_ARGUMENT),
        ("diabetes-progression", [{"age": "old"}], grpc.StatusCode.INVALID_ARGUMENT),
        ("no-such-model", [{"text": "hi"}], grpc.StatusCode.NOT_FOUND),
    ],
    ids=[
        "empty",
        "513-chars",
        "number-as-text",
        "only-whitespace",
        "missing-column",
        "text-as-number",
        "unknown-model",
    ],
)
async def test_bad_inputs_get_the_right_status(stub, caller, model, records, status):
    error = await failure(predict(stub, caller, model, *records))
    assert error.code() == status
    if status == grpc.StatusCode.INVALID_ARGUMENT:
        assert dict(error.trailing_metadata())[DOMAIN_CODE_KEY] == "01"


async def test_rows_as_json_get_the_answers_their_structs_get(stub, caller):
    """`inputs_json` (the tasks worker's calls) is the same rows in a cheaper form."""
    expected = json.loads(
        (MODEL_REPOSITORY / "diabetes-progression" / "1" / "expected.json").read_text()
    )
    features, _ = expected_rows(expected)
    as_structs = await predict(stub, caller, "diabetes-progression", *features[:5])
    as_json = await stub.Predict(
        pb.PredictRequest(
            model="diabetes-progression", inputs_json=json.dumps(features[:5]).encode()
        ),
        metadata=caller.metadata,
    )
    assert as_json.outputs == as_structs.outputs and len(as_json.outputs) == 5
    texts = [{"text": "Lovely, would buy again"}, {"text": "Broke in a day"}]
    reply = await stub.Predict(
        pb.PredictRequest(model="sentiment", inputs_json=json.dumps(texts).encode()),
        metadata=caller.metadata,
    )
    assert [o.classification.label for o in reply.outputs] == ["positive", "negative"]


@pytest.mark.parametrize(
    "request_",
    [
        pb.PredictRequest(model="sentiment", inputs_json=b'[{"text": "hi"'),
        pb.PredictRequest(model="sentiment", inputs_json=b'{"text": "hi"}'),
        pb.PredictRequest(model="sentiment", inputs_json=b'["hi"]'),
        pb.PredictRequest(model="sentiment", inputs_json=b"[" * 5000 + b"]" * 5000),
        pb.PredictRequest(
            model="sentiment", inputs_json=b'[{"text": "hi"}]', inputs=rows({"text": "hi"})
        ),
        pb.PredictRequest(model="diabetes-progression", inputs=rows({"age": float("inf")})),
        pb.PredictRequest(model="diabetes-progression", inputs_json=b'[{"age": -1e400}]'),
    ],
    ids=[
        "cut-short",
        "not-an-array",
        "not-objects",
        "5000-deep",
        "both-forms",
        "infinity",
        "json-infinity",
    ],
)
async def test_rows_neither_form_can_carry_are_invalid(stub, caller, request_):
    error = await failure(stub.Predict(request_, metadata=caller.metadata))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT, error
    assert dict(error.trailing_metadata())[DOMAIN_CODE_KEY] == "01"


async def test_too_many_rows_per_call_is_invalid(start_process, auth_server, triton, caller):
    process = await start_inference(start_process, auth_server, triton.url, max_rows_per_call=4)
    async with grpc.aio.insecure_channel(process.address) as channel:
        s = inference_service_pb2_grpc.InferenceServiceStub(channel)
        error = await failure(predict(s, caller, "sentiment", *[{"text": "hi"}] * 5))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT


async def test_triton_down_fails_fast_and_recovers_without_a_restart(
    start_process, auth_server, caller, tmp_path
):
    own = Triton(tmp_path)
    own.start()
    try:
        process = await start_inference(
            start_process, auth_server, own.url, breaker_reset_seconds=0.5
        )
        async with grpc.aio.insecure_channel(process.address) as channel:
            s = inference_service_pb2_grpc.InferenceServiceStub(channel)
            assert (await predict(s, caller, "sentiment", {"text": "fine"})).outputs
            own.stop()
            first = await failure(predict(s, caller, "sentiment", {"text": "fine"}))
            assert first.code() == grpc.StatusCode.UNAVAILABLE
            started = time.perf_counter()
            for _ in range(5):  # the circuit is open: no retries, no waiting on a dead server
                assert (
                    await failure(predict(s, caller, "sentiment", {"text": "fine"}))
                ).code() == grpc.StatusCode.UNAVAILABLE
            fast_failures = time.perf_counter() - started
            own.start()

            async def answers() -> bool:
                try:
                    return bool((await predict(s, caller, "sentiment", {"text": "fine"})).outputs)
                except grpc.aio.AioRpcError:
                    return False

            await eventually(answers, 60, "the same inference process to answer again")
        print(f"5 calls while Triton was down took {fast_failures * 1000:.0f} ms")
    finally:
        own.stop()


def oip_client(process) -> triton_grpc.InferenceServerClient:
    return triton_grpc.InferenceServerClient(process.address)


# The sync client blocks; the service under test runs on this event loop, so each client
# call goes to a thread (the client itself is used unmodified).


async def test_unmodified_tritonclient_works_through_the_passthrough_with_a_token(
    inference, caller
):
    client = oip_client(inference)
    headers = {"authorization": f"Bearer {caller.access_token}"}
    try:
        assert await asyncio.to_thread(client.is_model_ready, "sentiment", headers=headers)
        result = await asyncio.to_thread(
            client.infer, "sentiment", [text_input(["so comfy, love it"])], headers=headers
        )
        probs = result.as_numpy("PROBABILITIES")
        assert probs.shape == (1, 3) and probs[0].argmax() == 2
    finally:
        client.close()


async def test_passthrough_without_a_token_is_unauthenticated(inference):
    client = oip_client(inference)
    try:
        with pytest.raises(InferenceServerException, match=r"UNAUTHENTICATED|access token"):
            await asyncio.to_thread(client.infer, "sentiment", [text_input(["hi"])])
    finally:
        client.close()


async def test_passthrough_refuses_to_reconfigure_triton(inference, caller):
    client = oip_client(inference)
    headers = {"authorization": f"Bearer {caller.access_token}"}
    try:
        with pytest.raises(InferenceServerException, match="not available"):
            await asyncio.to_thread(client.unload_model, "sentiment", headers=headers)
        assert await asyncio.to_thread(client.is_model_ready, "sentiment", headers=headers)
    finally:
        client.close()
