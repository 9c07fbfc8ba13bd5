"""/api/v1/models through the gateway: catalog, predictions, and every unhappy path."""

from collections.abc import AsyncIterator

import httpx
import pytest
from asgi_lifespan import LifespanManager

from services.gateway.app import create_app
from services.gateway.settings import GatewaySettings
from tests.support.accounts import create_account
from tests.support.inference_calls import start_inference

API = "/api/v1/models"


@pytest.fixture
async def http(
    migrated_db, nats_url, auth_server, start_process, triton
) -> AsyncIterator[httpx.AsyncClient]:
    inference = await start_inference(start_process, auth_server, triton.url)
    settings = GatewaySettings(
        auth_addr=auth_server.address,
        inference_addr=inference.address,
        database_url=migrated_db,
        nats_url=nats_url,
    )
    app = create_app(settings)
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
            yield client


@pytest.fixture
async def bearer(auth_channel) -> dict[str, str]:
    return {"authorization": f"Bearer {(await create_account(auth_channel)).access_token}"}


async def test_catalog_and_one_model(http, bearer):
    listed = (await http.get(API, headers=bearer)).json()
    assert {m["name"] for m in listed["items"]} == {
        "sentiment",
        "embedding",
        "diabetes-progression",
    }
    assert listed["next_cursor"] is None
    model = (await http.get(f"{API}/sentiment", headers=bearer)).json()
    assert model["kind"] == "text_classification" and model["ready"] is True
    assert (
        model["labels"] == ["negative", "neutral", "positive"] and model["max_text_length"] == 512
    )


async def test_predict_sentiment_in_the_wire_shape(http, bearer):
    reply = await http.post(
        f"{API}/sentiment/predict",
        headers=bearer,
        json={"inputs": [{"text": "Love it, so soft!"}, {"text": "Fell apart after one wash."}]},
    )
    assert reply.status_code == 200, reply.text
    body = reply.json()
    default = (await http.get(f"{API}/sentiment", headers=bearer)).json()["version"]
    assert (body["model"], body["version"]) == ("sentiment", default)
    assert [o["label"] for o in body["outputs"]] == ["positive", "negative"]
    assert set(body["outputs"][0]["scores"]) == {"negative", "neutral", "positive"}


async def test_versions_with_their_cards_and_a_chosen_version(http, bearer):
    model = (await http.get(f"{API}/sentiment", headers=bearer)).json()
    numbers = [v["version"] for v in model["versions"]]
    assert numbers == sorted(numbers, key=int, reverse=True) and numbers[-1] == "1"
    assert model["version"] == numbers[0] and all(v["ready"] for v in model["versions"])
    first = model["versions"][-1]
    assert first["card"]["split"] == "dev" and first["card"]["macro_f1"] == 0.6486
    assert set(first["card"]["f1"]) == {"negative", "neutral", "positive"}
    reply = await http.post(
        f"{API}/sentiment/predict",
        headers=bearer,
        json={"inputs": [{"text": "Love it"}], "version": "1"},
    )
    assert reply.status_code == 200 and reply.json()["version"] == "1"


async def test_unknown_version_is_a_404_problem(http, bearer):
    reply = await http.post(
        f"{API}/sentiment/predict",
        headers=bearer,
        json={"inputs": [{"text": "Love it"}], "version": "999"},
    )
    assert reply.status_code == 404
    assert reply.headers["content-type"] == "application/problem+json"
    assert reply.json()["code"] == "not_found" and "999" in reply.json()["detail"]


async def test_predict_embedding_and_regression(http, bearer):
    vector = (
        await http.post(
            f"{API}/embedding/predict", headers=bearer, json={"inputs": [{"text": "hi"}]}
        )
    ).json()
    assert len(vector["outputs"][0]["embedding"]) == 384
    row = dict.fromkeys(("age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6"), 0.01)
    value = (
        await http.post(
            f"{API}/diabetes-progression/predict", headers=bearer, json={"inputs": [row]}
        )
    ).json()
    assert isinstance(value["outputs"][0]["value"], float)


@pytest.mark.parametrize(
    ("path", "body", "status", "code"),
    [
        ("sentiment", {"inputs": [{"text": "x" * 513}]}, 422, "01"),
        ("sentiment", {"inputs": [{"review": "missing column"}]}, 422, "01"),
        ("sentiment", {"inputs": [{"text": 5}]}, 422, "01"),
        ("sentiment", {"inputs": [{"text": "    "}]}, 422, "01"),
        ("sentiment", {"inputs": []}, 422, "01"),
        ("sentiment", {"inputs": [{"text": "a"}] * 65}, 422, "01"),
        ("sentiment", {"inputs": "not a list"}, 422, "01"),
        ("sentiment", {"inputs": [{"text": [[[[["deep"]]]]]}]}, 422, "01"),
        ("sentiment", {"inputs": [{f"k{i}": 1 for i in range(17)}]}, 422, "01"),
        ("sentiment", {"inputs": [{"text": "x" * (2 * 1024 * 1024)}]}, 413, "payload_too_large"),
        ("no-such-model", {"inputs": [{"text": "a"}]}, 404, "not_found"),
    ],
    ids=[
        "513-chars",
        "missing-column",
        "wrong-type",
        "only-spaces",
        "empty",
        "65-rows",
        "not-a-list",
        "too-deep",
        "too-many-inputs",
        "body-over-the-limit",
        "unknown-model",
    ],
)
async def test_bad_predictions_are_problems(http, bearer, path, body, status, code):
    reply = await http.post(f"{API}/{path}/predict", headers=bearer, json=body)
    assert reply.status_code == status, reply.text
    assert reply.headers["content-type"].startswith("application/problem+json")
    assert reply.json()["code"] == code


async def test_predict_needs_json_and_a_caller(http, bearer):
    assert (
        await http.post(f"{API}/sentiment/predict", json={"inputs": [{"text": "a"}]})
    ).status_code == 401
    assert (await http.get(API)).status_code == 401
    form = await http.post(
        f"{API}/sentiment/predict",
        headers=bearer,
        content=b"text=a",
    )
    assert form.status_code in (415, 422)
    malformed = await http.post(
        f"{API}/sentiment/predict",
        headers={**bearer, "content-type": "application/json"},
        content=b"{nope",
    )
    assert malformed.status_code == 422


async def test_unknown_model_is_404(http, bearer):
    assert (await http.get(f"{API}/nope", headers=bearer)).status_code == 404
