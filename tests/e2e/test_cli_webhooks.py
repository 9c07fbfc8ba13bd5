"""`inferlane webhooks …` and `--callback-url` as a user runs them, against the platform."""

import json
import re
from pathlib import Path

import pytest

from inferlane.client import Client
from tests.support.cli import run
from tests.support.cli_reviews import PASSWORD, fresh_email, reviews_csv
from tests.support.waiting import wait_until
from tests.support.webhook_thread_receiver import ThreadReceiver

pytestmark = pytest.mark.slow
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@pytest.fixture(scope="module")
def signed_in(platform, tmp_path_factory) -> Path:
    email = fresh_email("cli-hooks")
    with Client(platform.url) as client:
        client.register(email, PASSWORD)
    config_dir = tmp_path_factory.mktemp("cli-hooks-config")
    done = run(config_dir, platform.url, "login", input=f"{email}\n{PASSWORD}\n")
    assert done.returncode == 0, done.stderr
    return config_dir


def test_create_prints_the_secret_once_and_list_shows_whole_ids_at_80_columns(platform, signed_in):
    url = "https://example.com/hooks/a-rather-long-path-that-has-to-wrap-in-the-table"
    made = run(signed_in, platform.url, "webhooks", "create", url, "--description", "cli")
    assert made.returncode == 0, made.stderr
    secret = made.stdout.strip()
    assert secret.startswith("whsec_") and "\n" not in secret  # alone, for $(…)
    assert "only time the secret is shown" in " ".join(made.stderr.split())
    webhook_id = UUID.search(made.stderr).group(0)  # type: ignore[union-attr]

    listed = run(signed_in, platform.url, "webhooks", "list", columns=80)
    assert listed.returncode == 0, listed.stderr
    assert webhook_id in listed.stdout and "active" in listed.stdout
    assert secret not in listed.stdout + listed.stderr
    assert max(len(line) for line in listed.stdout.splitlines()) <= 80

    as_json = json.loads(run(signed_in, platform.url, "webhooks", "list", "--json").stdout)
    assert webhook_id in [w["id"] for w in as_json["items"]]
    assert "secret" not in as_json["items"][0]

    rotated = run(signed_in, platform.url, "webhooks", "rotate-secret", webhook_id, "--json")
    assert rotated.returncode == 0, rotated.stderr
    new = json.loads(rotated.stdout)
    assert new["id"] == webhook_id and new["secret"].startswith("whsec_")
    assert new["secret"] != secret

    deleted = run(signed_in, platform.url, "webhooks", "delete", webhook_id)
    assert deleted.returncode == 0 and f"Deleted endpoint {webhook_id}." in deleted.stdout
    again = run(signed_in, platform.url, "webhooks", "delete", webhook_id)
    assert again.returncode == 4 and "Traceback" not in again.stderr  # not found


def test_an_address_on_a_private_network_is_refused_with_exit_1(platform, signed_in):
    done = run(signed_in, platform.url, "webhooks", "create", "http://10.1.2.3/hook")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stdout == ""


def test_a_submitted_task_is_delivered_and_deliveries_lists_the_attempt(
    platform, signed_in, tmp_path
):
    receiver = ThreadReceiver()
    try:
        made = run(signed_in, platform.url, "webhooks", "create", receiver.url, "--json")
        webhook_id = json.loads(made.stdout)["id"]
        source = reviews_csv(tmp_path / "reviews.csv", rows=4)
        submitted = run(
            signed_in,
            platform.url,
            "tasks",
            "submit",
            "--file",
            str(source),
            "--callback-url",
            receiver.url,
            "--json",
        )
        assert submitted.returncode == 0, submitted.stderr
        task_id = json.loads(submitted.stdout)["id"]
        wait_until(lambda: len(receiver.bodies) >= 2, 120, "the endpoint and the callback")
        assert {json.loads(b)["data"]["id"] for b in receiver.bodies} == {task_id}

        def logged() -> bool:
            done = run(signed_in, platform.url, "webhooks", "deliveries", webhook_id, "--json")
            return bool(json.loads(done.stdout)["items"])

        wait_until(logged, 60, "the delivery log")
        shown = run(signed_in, platform.url, "webhooks", "deliveries", webhook_id, columns=80)
        assert shown.returncode == 0, shown.stderr
        assert task_id in shown.stdout and "ready" in shown.stdout and "200" in shown.stdout
        assert max(len(line) for line in shown.stdout.splitlines()) <= 80
        assert f"Endpoint {webhook_id} is active." in shown.stderr
    finally:
        receiver.stop()
