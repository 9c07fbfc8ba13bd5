"""`inferlane eval`: how well a model labels your own labelled file."""

from pathlib import Path
from typing import Annotated

import typer

from . import session
from .tasks import Json, Model, finish, follow


def evaluate(
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, help="A labelled CSV/TSV/JSON(L) file.")
    ],
    label_column: Annotated[
        str, typer.Option("--label-column", "-l", help="The column of expected labels.")
    ],
    model: Model = "sentiment",
    version: Annotated[
        str | None, typer.Option(help="Model version (default: the newest ready one).")
    ] = None,
    column: Annotated[
        str | None, typer.Option(help="Text column (default: the detected text column).")
    ] = None,
    json: Json = False,
) -> None:
    """Run a model over a labelled file and print accuracy, macro-F1, per-label precision,
    recall and F1, and the confusion matrix."""
    with session.client() as client:
        task = client.submit_batch_file(
            file, model, column=column, version=version, label_column=label_column
        )
        task = follow(client, task, announced=not json)
    finish(task, json)
