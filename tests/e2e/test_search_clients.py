"""Search from the SDK (sync and async) and the CLI against the running platform, over an
embedding task of near-duplicate reviews."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from inferlane.client import AsyncClient, Client, Conflict
from tests.support import search_reviews as reviews
from tests.support.cli_reviews import PASSWORD, fresh_email

pytestmark = pytest.mark.slow
_SCRIPT = Path(sys.executable).with_name("inferlane")
COMMAND = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "inferlane.cli"]


@pytest.fixture(scope="module")
def searchable(platform, tmp_path_factory) -> tuple[str, str, str]:
    """(API key, ready embedding task id, ready sentiment task id) over the review groups."""
    source = tmp_path_factory.mktemp("search") / "reviews.csv"
    source.write_bytes(reviews.reviews_csv())
    with Client(platform.url) as client:
        email = fresh_email("search")
        client.register(email, PASSWORD)
        client.login(email, PASSWORD)
        key = client.create_api_key("search tests").secret
        dataset = client.upload_dataset(source)
        embedded = client.submit_batch("embedding", dataset.id, column="review")
        labelled = client.submit_batch("sentiment", dataset.id, column="review")
        assert client.wait(embedded.id).status == "ready"
        assert client.wait(labelled.id).status == "ready"
    return key, str(embedded.id), str(labelled.id)


def test_sync_sdk_searches_by_text_and_by_row(platform, searchable):
    key, task_id, sentiment_id = searchable
    with Client(platform.url, api_key=key) as client:
        found = client.search(task_id, "zipper broke after a week", k=3)
        assert {h.row_index for h in found.items} == {0, 1, 2}
        assert found.items[0].similarity >= found.items[-1].similarity
        like = client.search(task_id, row_index=6, k=2)
        assert {h.row_index for h in like.items} == {7, 8}
        with pytest.raises(Conflict):
            client.search(sentiment_id, "zipper")


async def test_async_sdk_searches_with_a_label_filter(platform, searchable):
    key, task_id, sentiment_id = searchable
    async with AsyncClient(platform.url, api_key=key) as client:
        labels = {r.row_index: r.label async for r in client.iter_results(sentiment_id)}
        found = await client.search(
            task_id, "disappointing", k=5, label_task_id=sentiment_id, labels=["negative"]
        )
        assert found.items and not found.approximate
        assert all(labels[h.row_index] == "negative" for h in found.items)


def test_cli_search_prints_rows_and_json(platform, searchable, tmp_path):
    key, task_id, _ = searchable
    env = {k: v for k, v in os.environ.items() if not k.startswith("INFERLANE_")}
    env |= {
        "INFERLANE_CONFIG_DIR": str(tmp_path),
        "INFERLANE_URL": platform.url,
        "INFERLANE_API_KEY": key,
        "COLUMNS": "200",
    }

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*COMMAND, *args], env=env, capture_output=True, text=True, timeout=120
        )

    table = run("search", task_id, "the shoes run small", "-k", "3")
    assert table.returncode == 0, table.stderr
    assert all(text in table.stdout for text in ("0.", reviews.GROUPS[1][0][:30]))
    as_json = json.loads(run("search", task_id, "--row", "0", "-k", "2", "--json").stdout)
    assert {h["row_index"] for h in as_json["items"]} == {1, 2}
    assert run("search", task_id, "-k", "3").returncode == 2  # neither text nor --row
