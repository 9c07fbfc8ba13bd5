"""Similar-row search over one of your finished embedding tasks."""

import uuid
from typing import Any

from fastapi import APIRouter

from ..deps import CurrentUser, JsonBody, TasksStub
from ..schemas.problems import PROBLEM_MEDIA_TYPE, PROBLEM_REF, problems
from ..schemas.search import SearchRequest, SearchResults
from ..security import RPC_TIMEOUT

router = APIRouter(prefix="/tasks", tags=["tasks"])

_NOT_SEARCHABLE: dict[int | str, dict[str, Any]] = {
    409: {
        "description": "Not a batch task of an embedding model (code `not_searchable`), or "
        "not ready yet (code `not_ready`).",
        "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": PROBLEM_REF}}},
    }
}


@router.post(
    "/{task_id:uuid}/search",
    dependencies=[JsonBody],
    responses={**problems(401, 403, 404, 410, 415, 422, 503), **_NOT_SEARCHABLE},
)
async def search_task(
    task_id: uuid.UUID, body: SearchRequest, caller: CurrentUser, stub: TasksStub
) -> SearchResults:
    """The k rows of your embedding task nearest to a text (`query`) or to one of its rows
    (`row_index`), by cosine similarity; optionally only rows at least `min_similarity` alike,
    or whose label in another task over the same dataset is one of `labels`. 422 (code 01):
    k outside 1..100, or neither/both of query and row_index."""
    reply = await stub.SearchTask(body.to_pb(task_id), timeout=RPC_TIMEOUT)
    return SearchResults.from_pb(reply)
