"""Model versions side by side in a real Triton: listed with their cards, chosen per call."""

import grpc
import pytest

from inferlane.inference.v1 import inference_service_pb2 as pb
from inferlane.inference.v1 import inference_service_pb2_grpc
from tests.support.accounts import create_account
from tests.support.grpc_errors import failure
from tests.support.inference_calls import rows, start_inference

TEXTS = [
    "Absolutely love this top!",
    "Terrible, it ripped.",
    "It is a shirt. It is blue.",
    "Nice colour but the fit is odd and the fabric feels cheap.",
    "Fine I guess, nothing special.",
    "Returned it the next day.",
    "Not bad, not great.",
    "The sizing chart is accurate.",
]


@pytest.fixture
async def caller(auth_channel):
    return await create_account(auth_channel)


@pytest.fixture
async def stub(start_process, auth_server, versioned_triton):
    repository = versioned_triton.model_repository
    inference = await start_inference(
        start_process, auth_server, versioned_triton.url, model_repository=repository
    )
    async with grpc.aio.insecure_channel(inference.address) as channel:
        yield inference_service_pb2_grpc.InferenceServiceStub(channel)


async def predict(stub, caller, version: str | None = None, texts=TEXTS):
    request = pb.PredictRequest(model="sentiment", inputs=rows(*({"text": t} for t in texts)))
    if version is not None:
        request.version = version
    return await stub.Predict(request, metadata=caller.metadata)


async def test_versions_are_listed_newest_first_with_their_cards(stub, caller):
    (model,) = (await stub.ListModels(pb.ListModelsRequest(), metadata=caller.metadata)).models
    assert [(v.version, v.ready) for v in model.versions] == [("2", True), ("1", True)]
    assert model.version == "2" and model.ready  # the default: newest ready
    v2, v1 = model.versions
    assert (v2.card.split, v2.card.macro_f1, v2.card.accuracy) == ("dev", 0.7123, 0.8456)
    assert dict(v2.card.f1) == {"negative": 0.7, "neutral": 0.55, "positive": 0.88}
    assert v1.card.macro_f1 == 0.6486 and set(v1.card.f1) == {"negative", "neutral", "positive"}
    got = (await stub.GetModel(pb.GetModelRequest(name="sentiment"))).model
    assert [v.version for v in got.versions] == ["2", "1"]


async def test_predict_runs_the_version_asked_for_else_the_newest(stub, caller):
    assert (await predict(stub, caller)).version == "2"
    assert (await predict(stub, caller, "1")).version == "1"
    assert (await predict(stub, caller, "2")).version == "2"


async def test_unknown_version_is_not_found(stub, caller):
    error = await failure(predict(stub, caller, "9"))
    assert error.code() == grpc.StatusCode.NOT_FOUND and "version '9'" in (error.details() or "")


async def test_a_version_folder_triton_does_not_serve_is_a_conflict(stub, caller, versioned_triton):
    # Added after Triton started: in the repository, so known, but not loaded.
    late = versioned_triton.model_repository / "sentiment" / "3"
    late.mkdir()
    try:
        error = await failure(predict(stub, caller, "3"))
        assert error.code() == grpc.StatusCode.FAILED_PRECONDITION
        (model,) = (await stub.ListModels(pb.ListModelsRequest())).models
        assert (model.versions[0].version, model.versions[0].ready) == ("3", False)
        assert model.version == "2"  # the newest *ready* one stays the default
        assert (await predict(stub, caller)).version == "2"
    finally:
        late.rmdir()


async def test_shipped_versions_answer_differently(start_process, auth_server, triton, caller):
    inference = await start_inference(start_process, auth_server, triton.url)
    async with grpc.aio.insecure_channel(inference.address) as channel:
        stub = inference_service_pb2_grpc.InferenceServiceStub(channel)
        one = await predict(stub, caller, "1")
        two = await predict(stub, caller, "2")
    assert (one.version, two.version) == ("1", "2")
    scores = [[dict(o.classification.scores) for o in r.outputs] for r in (one, two)]
    assert scores[0] != scores[1]
