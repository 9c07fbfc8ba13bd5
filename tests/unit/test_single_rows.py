"""SingleRows (services/tasks/worker/coalesce.py) on its own: which rows share a Predict call.

The predict callable records each call and answers when the test releases it, so the test
decides what is in flight; predictions echo their row so every caller can check its own."""

import asyncio
from typing import Any

import pytest

from inferlane.inference.v1 import inference_types_pb2
from services.tasks.worker.coalesce import SingleRows


class Model:
    def __init__(self) -> None:
        self.calls: list[tuple[str, list[str], Any]] = []
        self.release = asyncio.Event()
        self.error: Exception | None = None

    async def predict(self, model: str, rows, metadata, version):
        self.calls.append((model, [r["text"] for r in rows], metadata))
        await self.release.wait()
        if self.error is not None:
            raise self.error
        return [
            inference_types_pb2.Prediction(
                classification=inference_types_pb2.Classification(label=r["text"])
            )
            for r in rows
        ]


async def ask(rows: SingleRows, owner: str, text: str) -> str:
    prediction = await rows.predict(owner, "sentiment", {"text": text}, [("o", owner)], None)
    return prediction.classification.label


async def test_a_lone_row_goes_at_once():
    model = Model()
    model.release.set()
    assert await ask(SingleRows(model.predict, 64), "alice", "hello") == "hello"
    assert model.calls == [("sentiment", ["hello"], [("o", "alice")])]


async def test_rows_that_arrive_during_a_call_go_together_in_the_next():
    model = Model()
    rows = SingleRows(model.predict, 64)
    first = asyncio.create_task(ask(rows, "alice", "a"))
    await asyncio.sleep(0.01)  # "a" is in flight
    later = [asyncio.create_task(ask(rows, "alice", t)) for t in ("b", "c", "d")]
    await asyncio.sleep(0.01)
    model.release.set()

    assert await first == "a"
    assert [await t for t in later] == ["b", "c", "d"]
    assert [texts for _, texts, _ in model.calls] == [["a"], ["b", "c", "d"]]


async def test_a_call_carries_at_most_max_rows():
    model = Model()
    rows = SingleRows(model.predict, 2)
    waiting = [asyncio.create_task(ask(rows, "alice", t)) for t in "abcde"]
    await asyncio.sleep(0.01)
    model.release.set()
    assert [await t for t in waiting] == list("abcde")
    assert [texts for _, texts, _ in model.calls] == [["a", "b"], ["c", "d"], ["e"]]


async def test_owners_never_share_a_call():
    model = Model()
    rows = SingleRows(model.predict, 64)
    waiting = [asyncio.create_task(ask(rows, o, o)) for o in ("alice", "bob", "alice")]
    await asyncio.sleep(0.01)
    model.release.set()
    assert [await t for t in waiting] == ["alice", "bob", "alice"]
    assert sorted((metadata[0][1], texts) for _, texts, metadata in model.calls) == [
        ("alice", ["alice", "alice"]),
        ("bob", ["bob"]),
    ]


async def test_a_failed_call_fails_every_row_in_it():
    model = Model()
    model.error = RuntimeError("model down")
    rows = SingleRows(model.predict, 64)
    waiting = [asyncio.create_task(ask(rows, "alice", t)) for t in "ab"]
    await asyncio.sleep(0.01)
    model.release.set()
    for task in waiting:
        with pytest.raises(RuntimeError, match="model down"):
            await task
    model.error = None
    assert await ask(rows, "alice", "c") == "c"  # the next row is sent again
