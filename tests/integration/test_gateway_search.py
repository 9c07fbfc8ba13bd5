"""POST /api/v1/tasks/{id}/search and the OpenAI-compatible POST /v1/embeddings through the
gateway, in front of the real pipeline (PostgreSQL + pgvector, NATS, Triton)."""

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import numpy as np
import openai
import pytest

from tests.support import search_reviews as reviews
from tests.support.gateway_accounts import Session, sign_up
from tests.support.gateway_tasks import TASKS, gateway_over_tasks, wait_until_finished
from tests.support.problems import assert_problem

pytestmark = pytest.mark.slow


@pytest.fixture
async def http(own_nats, start_process, migrated_db, triton, tmp_path) -> AsyncIterator[Any]:
    async with gateway_over_tasks(
        start_process, migrated_db, own_nats.url, triton.url, tmp_path
    ) as client:
        yield client


async def embedding_task(http: httpx.AsyncClient, me: Session, model: str = "embedding") -> Any:
    uploaded = await http.post(
        "/api/v1/datasets",
        files={"file": ("reviews.csv", reviews.reviews_csv(), "text/csv")},
        headers=me.headers,
    )
    assert uploaded.status_code == 201, uploaded.text
    body = {
        "type": "batch",
        "model": model,
        "dataset_id": uploaded.json()["id"],
        "column": "review",
    }
    created = await http.post(TASKS, json=body, headers=me.headers)
    assert created.status_code == 202, created.text
    task = await wait_until_finished(http, me.headers, created.json()["id"])
    assert task["status"] == "ready", task
    return task


async def test_search_finds_near_duplicates_and_refuses_what_it_cannot_search(http) -> None:
    me, other = await sign_up(http), await sign_up(http)
    task = await embedding_task(http, me)
    search = f"{TASKS}/{task['id']}/search"

    found = await http.post(
        search, json={"query": "zipper broke after a week", "k": 3}, headers=me.headers
    )
    assert found.status_code == 200, found.text
    items = found.json()["items"]
    assert {i["row_index"] for i in items} == {0, 1, 2}
    assert items[0]["text"] == reviews.GROUPS[0][0] and items[0]["columns"] == {"stars": "1"}
    assert 0.5 < items[-1]["similarity"] <= items[0]["similarity"] <= 1.0

    like_row = await http.post(search, json={"row_index": 3, "k": 2}, headers=me.headers)
    assert {i["row_index"] for i in like_row.json()["items"]} == {4, 5}

    assert_problem(
        await http.post(search, json={"query": "zip"}, headers=other.headers), 404, "not_found"
    )
    unknown = f"{TASKS}/{uuid.uuid4()}/search"
    assert_problem(
        await http.post(unknown, json={"query": "zip"}, headers=me.headers), 404, "not_found"
    )
    for bad in (
        {"query": "zip", "k": 0},
        {"query": "zip", "k": 101},
        {"k": 5},
        {"query": "z", "row_index": 1},
    ):
        assert_problem(await http.post(search, json=bad, headers=me.headers), 422, "01")

    sentiment = await embedding_task(http, me, model="sentiment")
    refused = await http.post(
        f"{TASKS}/{sentiment['id']}/search", json={"query": "zip"}, headers=me.headers
    )
    assert_problem(refused, 409, "not_searchable")


async def test_the_openai_client_embeds_through_the_gateway_with_an_api_key(http) -> None:
    me = await sign_up(http)
    key = await http.post("/api/v1/auth/api-keys", json={"name": "openai"}, headers=me.headers)
    assert key.status_code == 201, key.text
    client = openai.AsyncOpenAI(
        api_key=key.json()["secret"],
        base_url=str(http.base_url.join("/v1")),
        http_client=httpx.AsyncClient(transport=http._transport),
        max_retries=0,
    )
    async with client:
        one = await client.embeddings.create(model="embedding", input="zipper broke")
        assert one.model == "embedding" and len(one.data) == 1
        assert len(one.data[0].embedding) == 384
        assert abs(np.linalg.norm(one.data[0].embedding) - 1) < 1e-3  # normalised
        assert one.usage.prompt_tokens == one.usage.total_tokens == 4  # [CLS] zipper broke [SEP]

        texts = ["zipper broke after a week", "the zip broke within a week", "lovely soft fabric"]
        many = await client.embeddings.create(
            model="embedding", input=texts, encoding_format="float"
        )
        assert [d.index for d in many.data] == [0, 1, 2]
        a, b, c = (np.array(d.embedding) for d in many.data)
        assert a @ b > a @ c  # paraphrases are nearer than another topic

        with pytest.raises(openai.UnprocessableEntityError):
            await client.embeddings.create(model="sentiment", input="not an embedding model")
        with pytest.raises(openai.UnprocessableEntityError):
            await client.embeddings.create(model="embedding", input=["x"] * 65)
        with pytest.raises(openai.UnprocessableEntityError):
            await client.embeddings.create(model="embedding", input="x" * 513)
        with pytest.raises(openai.NotFoundError):
            await client.embeddings.create(model="no-such-model", input="hello")

    stranger = openai.AsyncOpenAI(
        api_key="ilk_not-a-key",
        base_url=str(http.base_url.join("/v1")),
        http_client=httpx.AsyncClient(transport=http._transport),
        max_retries=0,
    )
    async with stranger:
        with pytest.raises(openai.AuthenticationError):
            await stranger.embeddings.create(model="embedding", input="hello")


async def test_the_openapi_document_describes_search_and_embeddings(http) -> None:
    paths = (await http.get("/openapi.json")).json()["paths"]
    search = paths[f"{TASKS}/{{task_id}}/search"]["post"]["responses"]
    assert {"200", "404", "409", "422"} <= set(search)
    assert {"200", "401", "422"} <= set(paths["/v1/embeddings"]["post"]["responses"])
