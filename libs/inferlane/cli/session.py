"""The client a command talks through, built from the global --url and the saved config.

The root callback records --url here once per process (typer 0.29 vendors click, so there is
no public way to reach the current context from a helper)."""

import typer

from inferlane.client import Client

from . import config

_url_option: str | None = None


def configure(url: str | None) -> None:
    global _url_option
    if url is not None and not url.startswith(("http://", "https://")):
        # httpx would call 127.0.0.1:8080 a scheme and fail as "cannot reach".
        raise typer.BadParameter(
            f"{url!r} has no scheme; add http:// (for example http://{url.removeprefix('//')})",
            param_hint="--url / INFERLANE_URL",
        )
    _url_option = url


def url() -> str:
    return config.resolve_url(_url_option, config.load())


def client() -> Client:
    return config.open_client(_url_option)
