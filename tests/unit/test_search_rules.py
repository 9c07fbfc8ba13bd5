"""The rules of a search request, and the SQL pieces that must stay literal, without I/O."""

import uuid

import pytest

from inferlane.common.errors import InvalidInput
from services.tasks.search import SearchQuery, check
from services.tasks.vector_index import index_name, task_predicate
from services.tasks.vectors import literal


@pytest.mark.parametrize(
    "query",
    [
        SearchQuery(text="zip", k=0),
        SearchQuery(text="zip", k=101),
        SearchQuery(k=5),  # neither a text nor a row
        SearchQuery(text="zip", row_index=3),  # both
        SearchQuery(row_index=-1),
        SearchQuery(text="zip", min_similarity=1.5),
        SearchQuery(text="zip", label_task_id=str(uuid.uuid4())),  # a filter without labels
        SearchQuery(text="zip", labels=["negative"]),  # labels without their task
    ],
)
def test_bad_searches_are_invalid_input_code_01(query):
    with pytest.raises(InvalidInput) as caught:
        check(query)
    assert caught.value.code == "01"


@pytest.mark.parametrize("k", [1, 10, 100])
def test_k_from_1_to_100_is_accepted(k):
    check(SearchQuery(text="zip", k=k))
    check(SearchQuery(row_index=0, k=k, label_task_id=str(uuid.uuid4()), labels=["positive"]))


def test_a_task_predicate_is_a_uuid_literal_whatever_text_it_is_given():
    task_id = uuid.uuid4()
    assert task_predicate(task_id) == f"task_id = '{task_id}'::uuid"
    with pytest.raises(ValueError):
        task_predicate("x'; DROP TABLE tasks.tasks; --")  # type: ignore[arg-type]
    assert index_name(task_id) == f"ix_task_vectors_hnsw_{task_id.hex}"


def test_a_vector_literal_is_pgvector_text():
    assert literal([0.5, -1, 2.25e-7]) == "[0.5,-1,2.25e-07]"
