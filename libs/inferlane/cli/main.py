"""The `inferlane` command: its groups, global options, and the one place where errors
become messages and exit codes (no tracebacks for API errors)."""

import sys
from typing import Annotated, Any

import typer
from typer.core import TyperOption

from inferlane.client import InferlaneError

from . import (
    auth,
    datasets,
    evaluate,
    exits,
    keys,
    models,
    output,
    search,
    session,
    tasks,
    webhooks,
)
from .config import URL_ENV

_type_in_help = TyperOption.display_type_rich


def _flags_take_no_value(self: TyperOption, ctx: Any) -> str | None:
    """typer 0.29 lists `--json <bool>` in help as if the flag took a value; it takes none."""
    return None if self.is_flag else _type_in_help(self, ctx)


TyperOption.display_type_rich = _flags_take_no_value  # type: ignore[method-assign]


class InferlaneApp(typer.Typer):
    """Typer already exits 2 on usage errors and 130 on Ctrl-C; errors of the API become a
    message and their exit code here, without a traceback."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().__call__(*args, **kwargs)
        except InferlaneError as exc:
            output.problem(exc)
            sys.exit(exits.for_error(exc))


app = InferlaneApp(
    name="inferlane",
    help="Inferlane from the command line: datasets, models, inference tasks, webhooks."
    f"\n\n{exits.HELP}",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,  # locals may hold secrets
    context_settings={"help_option_names": ["-h", "--help"]},
)


@app.callback()
def main(
    url: Annotated[
        str | None,
        typer.Option(
            envvar=URL_ENV, help="Gateway URL (default: the saved one, or http://127.0.0.1:8080)."
        ),
    ] = None,
) -> None:
    session.configure(url)


app.command()(auth.register)
app.command()(auth.login)
app.command()(auth.logout)
app.command()(auth.whoami)
app.command()(tasks.analyse)
app.command("eval")(evaluate.evaluate)
app.command()(search.search)
app.add_typer(datasets.app, name="datasets")
app.add_typer(tasks.app, name="tasks")
app.add_typer(models.app, name="models")
app.add_typer(keys.app, name="keys")
app.add_typer(webhooks.app, name="webhooks")
