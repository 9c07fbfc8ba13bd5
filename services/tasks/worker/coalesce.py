"""Single tasks' rows merged into shared Predict calls, with no wait added.

A single task is one row; a thousand of them at once would be a thousand Predict calls, each
paying the inference service's per-call cost. Here the first row for an (owner, model,
version) goes out at once; rows that arrive while that call is in flight queue, and go
together in the next call when it returns (at most `max_rows` per call). An idle worker
therefore sends a lone task's row immediately, and a busy one merges rows exactly while
waiting would have happened anyway. Rows of different owners never share a call: the call
acts for its owner.

A failed call fails every row in it with the same error; the runner's own handling applies
(an INVALID_ARGUMENT makes each task try its row alone, so one bad row fails alone).
"""

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from inferlane.inference.v1 import inference_types_pb2

Prediction = inference_types_pb2.Prediction
PredictCall = Callable[
    [str, Sequence[dict[str, Any]], Any, str | None], Awaitable[list[Prediction]]
]
_Key = tuple[str, str, str | None]
_Waiting = tuple[dict[str, Any], Any, "asyncio.Future[Prediction]"]


class SingleRows:
    def __init__(self, predict: PredictCall, max_rows: int) -> None:
        self._predict = predict  # (model, rows, gRPC metadata, version) -> predictions
        self._max_rows = max_rows
        self._queues: dict[_Key, list[_Waiting]] = {}
        self._senders: dict[_Key, asyncio.Task[None]] = {}

    async def predict(
        self, owner: str, model: str, row: dict[str, Any], metadata: Any, version: str | None
    ) -> Prediction:
        key = (owner, model, version)
        answer: asyncio.Future[Prediction] = asyncio.get_running_loop().create_future()
        self._queues.setdefault(key, []).append((row, metadata, answer))
        if key not in self._senders:
            self._senders[key] = asyncio.create_task(self._send(key))
        return await answer

    async def _send(self, key: _Key) -> None:
        _, model, version = key
        try:
            while queue := self._queues.get(key):
                batch, self._queues[key] = queue[: self._max_rows], queue[self._max_rows :]
                batch = [w for w in batch if not w[2].done()]  # a cancelled waiter's row goes
                if not batch:
                    continue
                try:
                    outputs = await self._predict(
                        model, [r for r, _, _ in batch], batch[0][1], version
                    )
                except Exception as exc:
                    for _, _, answer in batch:
                        if not answer.done():
                            answer.set_exception(exc)
                    continue
                except BaseException:  # cancelled with the worker: nobody is left waiting
                    for _, _, answer in batch:
                        answer.cancel()
                    raise
                for (_, _, answer), output in zip(batch, outputs, strict=True):
                    if not answer.done():
                        answer.set_result(output)
        finally:
            del self._senders[key]
            for _, _, answer in self._queues.pop(key, []):  # only when cancelled mid-way
                answer.cancel()
