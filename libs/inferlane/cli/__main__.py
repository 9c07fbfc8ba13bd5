"""`python -m inferlane.cli`: the same as the `inferlane` command."""

from .main import app

app(prog_name="inferlane")
