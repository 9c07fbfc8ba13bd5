"""What a new user stumbles on at the command line (issue 21): messages, tables at 80
columns, and the commands they expect."""

import json
import re
from pathlib import Path

import httpx
import pytest

from tests.support.cli import run
from tests.support.cli_reviews import PASSWORD, fresh_email, reviews_csv
from tests.support.platform import Platform

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def signed_in(platform: Platform, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`register` alone: it signs in too, no `login` needed after it."""
    config_dir = tmp_path_factory.mktemp("cli-first-use")
    email = fresh_email("cli-first")
    done = run(config_dir, platform.url, "register", input=f"{email}\n{PASSWORD}\n{PASSWORD}\n")
    assert done.returncode == 0, done.stderr
    assert "signed in" in done.stdout and "inferlane login" not in done.stdout
    assert json.loads(run(config_dir, platform.url, "whoami", "--json").stdout)["email"] == email
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


def test_tables_at_80_columns_keep_ids_whole(platform: Platform, signed_in: Path, tmp_path: Path):
    data = reviews_csv(tmp_path / "a-rather-long-name-for-a-file-of-reviews.csv", rows=3)
    dataset_id = json.loads(
        run(signed_in, platform.url, "datasets", "upload", str(data), "--json").stdout
    )["id"]
    task = json.loads(
        run(signed_in, platform.url, "tasks", "submit", "--dataset", dataset_id, "--json").stdout
    )
    for args, wanted in (
        (("datasets", "list"), dataset_id),
        (("tasks", "list"), task["id"]),
        (("tasks", "show", task["id"]), task["id"]),
    ):
        shown = run(signed_in, platform.url, *args, columns=80)
        assert shown.returncode == 0, shown.stderr
        assert wanted in shown.stdout, shown.stdout  # on one line, copyable, no "…"
        assert all(len(line) <= 80 for line in shown.stdout.splitlines())
        times = re.findall(r"\d{4}-\d\d-\d\d \d\d:\d\d", shown.stdout)
        assert times, shown.stdout  # the time is on one line too


def test_flags_show_no_value_in_help(tmp_path: Path) -> None:
    shown = run(tmp_path, "http://127.0.0.1:9", "tasks", "submit", "--help", columns=100)
    assert "<bool>" not in shown.stdout and "--no-wait" in shown.stdout


def test_one_off_analyses_stay_out_of_tasks_list(platform: Platform, signed_in: Path) -> None:
    analysed = run(signed_in, platform.url, "analyse", "Lovely fabric.", "--json")
    assert analysed.returncode == 0, analysed.stderr
    single = json.loads(analysed.stdout)["id"]
    listed = run(signed_in, platform.url, "tasks", "list", "--json")
    assert single not in [t["id"] for t in json.loads(listed.stdout)["items"]]
    everything = run(signed_in, platform.url, "tasks", "list", "--all", "--json")
    assert single in [t["id"] for t in json.loads(everything.stdout)["items"]]
    assert "--all shows them" in run(signed_in, platform.url, "tasks", "list").stderr


def test_share_links_downloads_and_api_keys_from_the_cli(
    platform: Platform, signed_in: Path, tmp_path: Path
) -> None:
    data = reviews_csv(tmp_path / "to-share.csv", rows=4)
    dataset_id = json.loads(
        run(signed_in, platform.url, "datasets", "upload", str(data), "--json").stdout
    )["id"]
    saved = tmp_path / "back.csv"
    got = run(signed_in, platform.url, "datasets", "download", dataset_id, "-o", str(saved))
    assert got.returncode == 0, got.stderr
    assert saved.read_bytes() == data.read_bytes()

    made = run(signed_in, platform.url, "datasets", "share", dataset_id, "--days", "1", "--json")
    link = json.loads(made.stdout)
    listed = run(signed_in, platform.url, "datasets", "shares", dataset_id, columns=80)
    assert link["id"] in listed.stdout
    assert httpx.get(link["url"]).json()["dataset"]["id"] == dataset_id
    revoked = run(signed_in, platform.url, "datasets", "unshare", dataset_id, link["id"])
    assert revoked.returncode == 0, revoked.stderr
    assert httpx.get(link["url"]).status_code == 410

    password = f"{PASSWORD}\n"
    created = run(
        signed_in, platform.url, "keys", "create", "nightly export", "--json", input=password
    )
    assert created.returncode == 0, created.stderr
    key = json.loads(created.stdout[created.stdout.index("{") :])  # after the password prompt
    assert key["secret"].startswith("ilk_")
    listed = run(signed_in, platform.url, "keys", "list", columns=80, input=password)
    assert key["id"] in listed.stdout
    assert run(signed_in, platform.url, "keys", "revoke", key["id"], input=password).returncode == 0
    assert (
        httpx.get(
            f"{platform.url}/api/v1/auth/me", headers={"X-API-Key": key["secret"]}
        ).status_code
        == 401
    )
