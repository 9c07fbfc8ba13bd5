"""`make fuzz`: schemathesis over every operation of a running gateway, signed in.

A fresh account is registered and signed in, so the run's bearer token reaches the
operations behind authentication; every check is on. Exits non-zero on any failure.

    python -m tools.devstack.fuzz [--url http://127.0.0.1:8080] [--max-examples 20]
"""

import argparse
import subprocess
import sys
import uuid
from pathlib import Path

import httpx

API = "/api/v1"
# Which 422s are expected where, and why (rules no schema can state).
CONFIG = Path(__file__).with_name("schemathesis.toml")
# At least 12 characters, not a common password, not the email: the password policy's rules.
PASSWORD = "fuzz-" + "correct-horse-battery"


def sign_in(url: str) -> str:
    """A new account's access token (15 minutes: enough for a bounded run)."""
    email = f"fuzz-{uuid.uuid4().hex[:12]}@example.com"
    with httpx.Client(base_url=url, timeout=30) as client:
        registered = client.post(
            f"{API}/auth/register", json={"email": email, "password": PASSWORD}
        )
        registered.raise_for_status()
        signed_in = client.post(f"{API}/auth/token", data={"username": email, "password": PASSWORD})
        signed_in.raise_for_status()
        return str(signed_in.json()["access_token"])


def command(url: str, token: str, max_examples: int, seed: int | None) -> list[str]:
    args = [
        sys.executable,
        "-m",
        "schemathesis.cli",
        "--config-file",
        str(CONFIG),
        "run",
        f"{url}/openapi.json",
        "--url",
        url,
        "--header",
        f"Authorization: Bearer {token}",
        "--checks",
        "all",
        "--max-examples",
        str(max_examples),
        "--request-timeout",
        "30",
        "--workers",
        "1",
    ]
    if seed is not None:
        args += ["--seed", str(seed)]
    return args


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--url", default="http://127.0.0.1:8080", help="the gateway")
    parser.add_argument("--max-examples", type=int, default=50, help="examples per operation")
    parser.add_argument("--seed", type=int, default=None, help="for a reproducible run")
    options = parser.parse_args(argv)
    url = options.url.rstrip("/")
    token = sign_in(url)
    return subprocess.call(command(url, token, options.max_examples, options.seed))


if __name__ == "__main__":
    sys.exit(main())
