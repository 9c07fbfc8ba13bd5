"""What the sync and async clients share besides the calls: URLs, headers, timeouts, and the
check that turns an error answer into an exception."""

import os
from pathlib import Path
from typing import Any

import httpx

from .calls import Call
from .errors import TransportError, error_from_response

DEFAULT_URL = "http://127.0.0.1:8080"
API_PREFIX = "/api/v1"
USER_AGENT = "inferlane-python"
DEFAULT_TIMEOUT = 30.0
# The gateway pings an open event stream every 15 s; silence for longer means it is gone.
EVENTS_READ_TIMEOUT = 60.0
RECONNECT_PAUSE = 0.5  # seconds, times the streams in a row that ended empty
RECONNECTS = 5  # event streams that end early in a row, with no event, before giving up


def api_base(url: str) -> str:
    """`http://host:port` (or with `/api/v1` already) → `http://host:port/api/v1`."""
    url = url.rstrip("/")
    return url if url.endswith(API_PREFIX) else url + API_PREFIX


def default_headers(credential: str | None) -> dict[str, str]:
    headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
    if credential:
        # Access tokens and API keys (ilk_…) both go as bearer credentials.
        headers["Authorization"] = f"Bearer {credential}"
    return headers


def request_options(call: Call[Any]) -> dict[str, Any]:
    """Keyword arguments for httpx's `request`, except the upload (opened per attempt)."""
    options: dict[str, Any] = {"params": call.params, "headers": call.headers}
    if call.json is not None:
        options["json"] = call.json
    if call.form is not None:
        options["data"] = call.form
    return options


def events_timeout(timeout: float | None) -> httpx.Timeout:
    return httpx.Timeout(timeout, read=EVENTS_READ_TIMEOUT)


def unreachable(base_url: httpx.URL, exc: httpx.TransportError) -> TransportError:
    return TransportError(f"Cannot reach Inferlane at {base_url}: {exc or type(exc).__name__}")


def raise_for_problem(response: httpx.Response) -> httpx.Response:
    """`response` (its body read) if it succeeded, else the typed error."""
    if response.is_error:
        raise error_from_response(response)
    return response


def partial_path(path: Path) -> Path:
    """Where an export is written until it is complete, so a failure leaves no half file."""
    return path.with_name(f".{path.name}.{os.getpid()}.part")
