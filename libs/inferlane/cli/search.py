"""`inferlane search TASK "query"`: the rows of a finished embedding task most like a text."""

from typing import Annotated

import typer

from . import output, session

Json = Annotated[bool, typer.Option("--json", help=output.JSON_HELP)]


def search(
    task: Annotated[str, typer.Argument(help="A ready batch task of the embedding model.")],
    query: Annotated[
        str | None, typer.Argument(help="Text to look for (or use --row).", show_default=False)
    ] = None,
    k: Annotated[int, typer.Option("-k", min=1, max=100, help="How many rows.")] = 10,
    row: Annotated[
        int | None, typer.Option("--row", min=0, help="Rows like this row instead of a text.")
    ] = None,
    min_similarity: Annotated[
        float | None, typer.Option(min=-1, max=1, help="Leave out less similar rows.")
    ] = None,
    json: Json = False,
) -> None:
    """Find the rows of an embedding task nearest to a text (or a row), by cosine similarity."""
    if (query is None) == (row is None):
        raise typer.BadParameter("give a query text or --row, not both")
    with session.client() as client:
        found = client.search(task, query, row_index=row, k=k, min_similarity=min_similarity)
    if json:
        output.emit_json(found)
        return
    output.table(
        ["row", "similarity", "text"],
        ([h.row_index, f"{h.similarity:.3f}", h.text] for h in found.items),
    )
