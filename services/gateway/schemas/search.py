"""Similar-row search over an embedding task, as the REST contract shows it."""

import uuid
from typing import Any, Self

from google.protobuf.json_format import MessageToDict
from pydantic import BaseModel, Field, model_validator

from inferlane.tasks.v1 import tasks_service_pb2 as pb

MAX_K = 100  # the tasks service refuses more too (INVALID_ARGUMENT)


class SearchRequest(BaseModel):
    query: str | None = Field(
        None,
        min_length=1,
        max_length=512,
        description="Text to look for, embedded with the task's model.",
        examples=["zipper broke after a week"],
    )
    row_index: int | None = Field(
        None, ge=0, description="Or: rows like this row of the task (the row itself left out)."
    )
    k: int = Field(10, ge=1, le=MAX_K, description=f"How many rows, 1 to {MAX_K}.")
    min_similarity: float | None = Field(
        None, ge=-1, le=1, description="Leave out rows with a lower cosine similarity."
    )
    label_task_id: uuid.UUID | None = Field(
        None,
        description="Keep only rows whose label in this task (over the same dataset, e.g. a "
        "sentiment task) is one of `labels`.",
    )
    labels: list[str] | None = Field(None, min_length=1, max_length=32, examples=[["negative"]])

    @model_validator(mode="after")
    def _one_query(self) -> Self:
        if (self.query is None) == (self.row_index is None):
            raise ValueError("give either query or row_index")
        if (self.label_task_id is None) != (self.labels is None):
            raise ValueError("label_task_id and labels go together")
        return self

    def to_pb(self, task_id: uuid.UUID) -> pb.SearchTaskRequest:
        request = pb.SearchTaskRequest(task_id=str(task_id), k=self.k)
        if self.query is not None:
            request.text = self.query
        else:
            request.row_index = self.row_index or 0
        if self.min_similarity is not None:
            request.min_similarity = self.min_similarity
        if self.label_task_id is not None:
            request.label_task_id = str(self.label_task_id)
            request.label_in.extend(self.labels or [])
        return request


class SearchHit(BaseModel):
    row_index: int
    text: str = Field(description="The text that was embedded.")
    similarity: float = Field(description="Cosine similarity to the query, -1 to 1.")
    columns: dict[str, Any] | None = Field(
        None, description="The row's other columns, when the dataset has them."
    )


class SearchResults(BaseModel):
    items: list[SearchHit] = Field(description="Most similar first.")
    approximate: bool = Field(
        description="True when the task's HNSW index answered; false for an exact scan."
    )

    @classmethod
    def from_pb(cls, reply: pb.SearchTaskResponse) -> "SearchResults":
        return cls(
            items=[
                SearchHit(
                    row_index=h.row_index,
                    text=h.text,
                    similarity=h.similarity,
                    columns=_struct(h) if h.HasField("columns") else None,
                )
                for h in reply.hits
            ],
            approximate=reply.approximate,
        )


def _struct(hit: pb.SearchHit) -> dict[str, Any]:
    return MessageToDict(hit.columns)
