"""What a new user stumbles on at the command line (issue 21): messages, tables at 80
columns, and the commands they expect."""

from pathlib import Path

import pytest

from tests.support.cli import run
from tests.support.cli_reviews import PASSWORD, fresh_email
from tests.support.platform import Platform

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def signed_in(platform: Platform, tmp_path_factory: pytest.TempPathFactory) -> Path:
    config_dir = tmp_path_factory.mktemp("cli-first-use")
    email = fresh_email("cli-first")
    done = run(config_dir, platform.url, "register", input=f"{email}\n{PASSWORD}\n{PASSWORD}\n")
    assert done.returncode == 0, done.stderr
    done = run(config_dir, platform.url, "login", input=f"{email}\n{PASSWORD}\n")
    assert done.returncode == 0, done.stderr
    return config_dir


def test_a_url_without_a_scheme_says_add_http(tmp_path: Path) -> None:
    done = run(tmp_path, "127.0.0.1:8080", "models", "list")
    assert done.returncode == 2
    assert "add http://" in done.stderr and "http://127.0.0.1:8080" in done.stderr
    assert "reach" not in done.stderr


def test_a_malformed_id_names_what_is_wrong(platform: Platform, signed_in: Path) -> None:
    done = run(signed_in, platform.url, "tasks", "show", "abc")
    assert done.returncode in (1, 4), done.stderr
    message = done.stderr.splitlines()[0]
    assert message.startswith("Error: ") and "see errors" not in message
    assert "Not Found" not in message and "Unprocessable" not in message
    assert "check the path and any id in it" in message
