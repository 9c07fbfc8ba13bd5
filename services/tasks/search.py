"""Similar-row search over a finished embedding task: the rules, no gRPC.

The query is a text (embedded by the inference service with the task's own model, so query
and rows share one space) or one of the task's rows ("more like this"). Only the task's owner
finds it; another user's task, like another user's label task, is simply not found.
"""

import asyncio
import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from inferlane.common.errors import INVALID_INPUT, Conflict, InvalidInput, NotFound
from services.tasks import repository, retention, vectors
from services.tasks.domain import Status, Task, TaskType
from services.tasks.models import EMBEDDING, row_problem
from services.tasks.peers import Peers
from services.tasks.specs import parse_id
from services.tasks.vector_index import VectorIndexes
from services.tasks.vectors import LabelFilter

MAX_K = 100
ROW_READS = 8  # rows of the dataset read at once for the hits' other columns


@dataclass(frozen=True)
class SearchQuery:
    text: str | None = None
    row_index: int | None = None
    k: int = 10
    min_similarity: float | None = None
    label_task_id: str | None = None
    labels: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Hit:
    row_index: int
    text: str
    similarity: float
    columns: dict[str, Any] | None


@dataclass(frozen=True)
class SearchResult:
    hits: list[Hit]
    approximate: bool  # the HNSW index answered


def check(query: SearchQuery) -> None:
    if not 1 <= query.k <= MAX_K:
        raise InvalidInput(f"k must be between 1 and {MAX_K}", code=INVALID_INPUT)
    if (query.text is None) == (query.row_index is None):
        raise InvalidInput("search for either a text or a row_index", code=INVALID_INPUT)
    if query.row_index is not None and query.row_index < 0:
        raise InvalidInput("row_index must be 0 or more", code=INVALID_INPUT)
    if query.min_similarity is not None and not -1 <= query.min_similarity <= 1:
        raise InvalidInput("min_similarity must be between -1 and 1", code=INVALID_INPUT)
    if bool(query.label_task_id) != bool(query.labels):
        raise InvalidInput("a label filter needs both label_task_id and labels", code=INVALID_INPUT)


class TaskSearch:
    def __init__(self, engine: AsyncEngine, peers: Peers, indexes: VectorIndexes) -> None:
        self._engine = engine
        self._peers = peers
        self._indexes = indexes

    async def search(self, owner_id: uuid.UUID, task_id: str, query: SearchQuery) -> SearchResult:
        check(query)
        async with self._engine.connect() as conn:
            task = await repository.get_owned(conn, owner_id, parse_id(task_id, "task"))
            if task is None:
                raise NotFound("no such task")
            retention.check_live(task)
            labels = await self._label_filter(conn, owner_id, task, query)
        await self._check_searchable(task)
        vector = await self._query_vector(task, query)
        approximate = labels is None and bool(await self._indexes.state(task.id))
        async with self._engine.begin() as conn:
            near = await vectors.nearest(
                conn,
                task.id,
                vector,
                query.k,
                exclude_row=query.row_index,
                min_similarity=query.min_similarity,
                labels=labels,
            )
        columns = await self._other_columns(task, [n.row_index for n in near])
        hits = [
            Hit(
                n.row_index,
                str(n.input.get(task.column or "", "")),
                n.similarity,
                columns.get(n.row_index),
            )
            for n in near
        ]
        return SearchResult(hits, approximate)

    async def _check_searchable(self, task: Task) -> None:
        model = await self._peers.model(task.model)
        if task.type is not TaskType.BATCH or model.kind != EMBEDDING:
            raise Conflict(
                "only a batch task of an embedding model can be searched", code="not_searchable"
            )
        if task.status is not Status.READY:
            raise Conflict(f"the task is {task.status}; search it once ready", code="not_ready")

    async def _label_filter(
        self, conn: Any, owner_id: uuid.UUID, task: Task, query: SearchQuery
    ) -> LabelFilter | None:
        if not query.label_task_id:
            return None
        other = await repository.get_owned(
            conn, owner_id, parse_id(query.label_task_id, "label task")
        )
        if other is None:
            raise NotFound("no such label task")
        if other.dataset_id is None or other.dataset_id != task.dataset_id:
            raise InvalidInput("the label task must be over the same dataset", code=INVALID_INPUT)
        return LabelFilter(other.id, query.labels)

    async def _query_vector(self, task: Task, query: SearchQuery) -> str:
        if query.row_index is not None:
            async with self._engine.connect() as conn:
                found = await vectors.row_vector(conn, task.id, query.row_index)
            if found is None:
                raise InvalidInput(
                    f"row {query.row_index} has no vector (it failed, or is past the end)",
                    code=INVALID_INPUT,
                )
            return found
        model = await self._peers.model(task.model)
        (name,) = model.inputs
        if problem := row_problem(model, {name: query.text}):
            raise InvalidInput(problem, code=INVALID_INPUT)
        # The version the task ran, so the query lands in the same space as the rows.
        (prediction,) = await self._peers.predict(
            task.model, [{name: query.text}], None, task.version
        )
        return vectors.literal(prediction.embedding.vector)

    async def _other_columns(self, task: Task, rows: list[int]) -> dict[int, dict[str, Any]]:
        """Each hit's whole dataset row, when the dataset has more than the text column."""
        if not rows or task.dataset_id is None:
            return {}
        try:
            dataset = await self._peers.dataset(str(task.dataset_id))
        except NotFound:  # the dataset was deleted: the task's own texts still answer
            return {}
        if [c for c in dataset.columns if c != task.column] == []:
            return {}
        slots = asyncio.Semaphore(ROW_READS)

        async def read(index: int) -> list[tuple[int, Any]]:
            async with slots:
                return await self._peers.read_rows(
                    str(task.dataset_id), None, index, index + 1, None
                )

        found = await asyncio.gather(*(read(i) for i in rows))
        return {
            index: {k: v for k, v in record.items() if k != task.column}
            for batch in found
            for index, record in batch
        }
