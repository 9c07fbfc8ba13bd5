"""Writes the SDK's blocking client (libs/inferlane/client/sync.py) from the asyncio one
(aio.py) with unasync, then lets ruff tidy it (`make sync-client`).

The generated file is committed, so `pip install .` and the client wheel need neither
unasync nor this script; tests/unit/test_sync_client_generated.py regenerates it and fails
when the committed copy has drifted."""

import subprocess
import sys
import tempfile
from pathlib import Path

import unasync

ROOT = Path(__file__).resolve().parents[1]
CLIENT = ROOT / "libs" / "inferlane" / "client"
SOURCE, TARGET = CLIENT / "aio.py", CLIENT / "sync.py"
HEADER = "# Generated from aio.py by tools/generate_sync_client.py: do not edit.\n"

# Names unasync does not know: httpx's and tenacity's async spellings, and our own.
REPLACEMENTS = {
    "AsyncClient": "Client",
    "AsyncBaseTransport": "BaseTransport",
    "aclose": "close",
    "aread": "read",
    "aiter_bytes": "iter_bytes",
    "aiter_lines": "iter_lines",
    "aiter_sse": "iter_sse",  # httpx-sse's EventSource
    "asynchronous": "sync",  # RetryPolicy.asynchronous() / .sync()
    "asyncio": "time",  # asyncio.sleep -> time.sleep
}


def _ruff(*args: str, source: str) -> str:
    """ruff on text, with the project's settings as if it were sync.py."""
    done = subprocess.run(
        [sys.executable, "-m", "ruff", *args, "--stdin-filename", str(TARGET), "-"],
        input=source, capture_output=True, text=True, check=True, cwd=ROOT,
    )  # fmt: skip
    return done.stdout


def generated() -> str:
    """The text sync.py should have."""
    with tempfile.TemporaryDirectory() as work:
        copy = Path(work) / SOURCE.name
        copy.write_text(SOURCE.read_text())
        unasync.unasync_files([str(copy)], [unasync.Rule(SOURCE.name, TARGET.name, REPLACEMENTS)])
        text = HEADER + (Path(work) / TARGET.name).read_text()
    # Import order, and `yield from` where aio.py must loop (async for has no `yield from`).
    text = _ruff(
        "check", "--fix", "--unsafe-fixes", "--select", "I,UP028", "--exit-zero", source=text
    )
    return _ruff("format", "--quiet", source=text)


if __name__ == "__main__":
    TARGET.write_text(generated())
    print(f"wrote {TARGET.relative_to(ROOT)}")
