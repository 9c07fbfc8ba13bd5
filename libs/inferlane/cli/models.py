"""`inferlane models …`: the model catalog."""

from typing import Annotated

import typer

from inferlane.client.models import ModelVersion

from . import output, session

app = typer.Typer(help="The models the platform serves.", no_args_is_help=True)
Json = Annotated[bool, typer.Option("--json", help=output.JSON_HELP)]


@app.command("list")
def list_(json: Json = False) -> None:
    """Every model, with its kind, labels and readiness."""
    with session.client() as client:
        models = client.list_models()
    if json:
        output.emit_json({"items": models, "next_cursor": None})
        return
    output.table(
        ["name", "kind", "default", "versions (macro-F1)", "labels", "ready"],
        (
            (
                m.name,
                m.kind,
                m.version,
                ", ".join(_version(v) for v in m.versions),
                ", ".join(m.labels),
                "yes" if m.ready else "no",
            )
            for m in models
        ),
    )


def _version(v: ModelVersion) -> str:
    figure = f" ({v.card.macro_f1:.3f})" if v.card is not None else ""
    return f"{v.version}{figure}" + ("" if v.ready else " not ready")
