"""The client a command talks through, built from the global --url and the saved config.

The root callback records --url here once per process (typer 0.29 vendors click, so there is
no public way to reach the current context from a helper)."""

from inferlane.client import Client

from . import config

_url_option: str | None = None


def configure(url: str | None) -> None:
    global _url_option
    _url_option = url


def url() -> str:
    return config.resolve_url(_url_option, config.load())


def client() -> Client:
    return config.open_client(_url_option)
