"""The `inferlane` command as a user runs it, as a subprocess against the running platform."""

import csv
import json
import os
import re
import signal
import stat
import subprocess
import uuid
from pathlib import Path

import pytest

from inferlane.client import Client
from tests.support.cli import COMMAND, run
from tests.support.cli_reviews import PASSWORD, fresh_email, reviews_csv
from tests.support.labelled_reviews import ACCURACY, CONFUSION, MACRO_F1, labelled_csv

pytestmark = pytest.mark.slow
ROWS = 10


@pytest.fixture(scope="module")
def account(platform) -> str:
    email = fresh_email("cli")
    with Client(platform.url) as client:
        client.register(email, PASSWORD)
    return email


@pytest.fixture(scope="module")
def signed_in(platform, account, tmp_path_factory) -> Path:
    """A config dir after `inferlane login` with prompted email and password."""
    config_dir = tmp_path_factory.mktemp("cli-config")
    done = run(config_dir, platform.url, "login", input=f"{account}\n{PASSWORD}\n")
    assert done.returncode == 0, done.stderr
    assert account in done.stdout
    return config_dir


def test_login_stores_an_api_key_readable_only_by_the_user(platform, account, signed_in):
    stored = signed_in / "config.json"
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    saved = json.loads(stored.read_text())
    assert saved["api_key"].startswith("ilk_") and saved["email"] == account
    whoami = run(signed_in, platform.url, "whoami", "--json")
    assert json.loads(whoami.stdout)["email"] == account


def test_wrong_password_exits_3_with_a_readable_message(platform, account, tmp_path):
    done = run(tmp_path, platform.url, "login", "--email", account, "--password", "wrong pass!!")
    assert done.returncode == 3
    assert "Invalid email or password." in done.stderr and "Traceback" not in done.stderr
    assert "Unauthorized" not in done.stderr and "inferlane login" not in done.stderr
    assert not (tmp_path / "config.json").exists()


def test_without_credentials_commands_exit_3(platform, tmp_path):
    done = run(tmp_path, platform.url, "tasks", "list")
    assert done.returncode == 3
    assert "inferlane login" in done.stderr


def test_upload_submit_follow_list_and_export(platform, signed_in, tmp_path):
    source = reviews_csv(tmp_path / "reviews.csv", rows=30)
    uploaded = run(signed_in, platform.url, "datasets", "upload", str(source), "--json")
    assert uploaded.returncode == 0, uploaded.stderr
    dataset = json.loads(uploaded.stdout)
    assert dataset["rows"] == 30

    listed = run(signed_in, platform.url, "datasets", "list", "--json")
    assert dataset["id"] in [d["id"] for d in json.loads(listed.stdout)["items"]]
    shown = run(signed_in, platform.url, "datasets", "list")
    assert "reviews.csv" in shown.stdout

    args = ["--dataset", dataset["id"], "--column", "text", "--limit", str(ROWS)]
    submitted = run(signed_in, platform.url, "tasks", "submit", "--model", "sentiment", *args)
    assert submitted.returncode == 0, submitted.stderr
    task_id = re.search(r"Task ([0-9a-f-]{36})", submitted.stderr).group(1)
    assert f"{ROWS} rows, 0 failed" in submitted.stdout
    assert re.search(r"(positive|negative|neutral)\W+\d+\W+[\d.]+%", submitted.stdout)

    tasks = json.loads(run(signed_in, platform.url, "tasks", "list", "--json").stdout)
    task = next(t for t in tasks["items"] if t["id"] == task_id)
    assert task["status"] == "ready" and task["progress"]["done"] == ROWS
    assert task["dataset_name"] == "reviews.csv"
    assert task["progress"]["estimated_completion"] is None  # finished: no estimate
    table = run(signed_in, platform.url, "tasks", "list").stdout
    row = next(line for line in table.splitlines() if task_id in line)
    assert "reviews.csv" in row, table  # which dataset it ran over, on the task's own line
    over = run(signed_in, platform.url, "tasks", "list", "--dataset", dataset["id"], "--json")
    assert [t["id"] for t in json.loads(over.stdout)["items"]] == [task_id]
    other = run(signed_in, platform.url, "tasks", "list", "--dataset", str(uuid.uuid4()), "--json")
    assert json.loads(other.stdout)["items"] == []

    out = tmp_path / "out.csv"
    exported = run(
        signed_in, platform.url, "tasks", "results", task_id, "--format", "csv", "-o", str(out)
    )
    assert exported.returncode == 0, exported.stderr
    with out.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert [int(r["row"]) for r in rows] == list(range(1, ROWS + 1))
    assert all(r["prediction.label"] in ("positive", "negative", "neutral") for r in rows)

    page = json.loads(
        run(signed_in, platform.url, "tasks", "results", task_id, "--limit", "3", "--json").stdout
    )
    assert [r["row_index"] for r in page["items"]] == [0, 1, 2] and page["next_cursor"]


def test_analyse_prints_the_label_and_scores(platform, signed_in):
    text = "Terrible quality, it fell apart after one wash."
    done = run(signed_in, platform.url, "analyse", text, "--json")
    assert done.returncode == 0, done.stderr
    task = json.loads(done.stdout)
    assert task["status"] == "ready" and task["summary"]["label"] in task["summary"]["scores"]
    human = run(signed_in, platform.url, "analyse", text)
    assert task["summary"]["label"] in human.stdout and "score" in human.stdout


def test_models_list_json_parses(platform, signed_in):
    done = run(signed_in, platform.url, "models", "list", "--json")
    models = {m["name"]: m for m in json.loads(done.stdout)["items"]}
    assert set(models["sentiment"]["labels"]) == {"negative", "neutral", "positive"}


def test_unknown_task_exits_4(platform, signed_in):
    done = run(signed_in, platform.url, "tasks", "show", str(uuid.uuid4()))
    assert done.returncode == 4
    assert done.stderr.startswith("Error: No such task.") and "Traceback" not in done.stderr


def test_missing_file_is_a_usage_error(platform, signed_in, tmp_path):
    done = run(signed_in, platform.url, "datasets", "upload", str(tmp_path / "nope.csv"))
    assert done.returncode == 2
    assert "does not exist" in done.stderr


def test_ctrl_c_detaches_and_the_task_goes_on(platform, signed_in, tmp_path):
    rows = 1000  # seconds of work: the interrupt lands while the task runs, however fast
    source = reviews_csv(tmp_path / "reviews.csv", rows=rows)
    uploaded = run(signed_in, platform.url, "datasets", "upload", str(source), "--json")
    dataset = json.loads(uploaded.stdout)
    env = {k: v for k, v in os.environ.items() if not k.startswith("INFERLANE_")}
    env |= {"INFERLANE_CONFIG_DIR": str(signed_in), "INFERLANE_URL": platform.url}
    args = ["tasks", "submit", "--model", "sentiment", "--dataset", dataset["id"]]
    following = subprocess.Popen(
        [*COMMAND, *args, "--column", "text"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # A shell without job control starts background jobs with SIGINT ignored, and Python
        # then installs no KeyboardInterrupt handler: give the CLI the default, as a terminal's.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    assert following.stderr is not None
    lines: list[str] = []
    for line in following.stderr:  # Ctrl-C as soon as the CLI follows its task, not before
        lines.append(line)
        if line.startswith("Task "):
            following.send_signal(signal.SIGINT)
            break
    lines.extend(following.stderr)  # until the CLI exits
    following.wait(timeout=30)
    stderr = "".join(lines)
    assert following.returncode == 130, stderr
    task_id = re.search(r"Detached; task (\S+) goes on", stderr).group(1)
    assert f"inferlane tasks watch {task_id}" in stderr and "Traceback" not in stderr
    api_key = json.loads((signed_in / "config.json").read_text())["api_key"]
    with Client(platform.url, api_key=api_key) as client:
        finished = client.wait(task_id)
    assert finished.status == "ready" and finished.progress.done == rows


def test_eval_prints_the_metrics_and_the_confusion_matrix(platform, signed_in, tmp_path):
    labelled = tmp_path / "labelled.csv"
    labelled.write_bytes(labelled_csv())
    args = ("eval", str(labelled), "--model", "sentiment", "--label-column", "label")
    done = run(signed_in, platform.url, *args, "--version", "1")
    assert done.returncode == 0, done.stderr
    assert f"accuracy {ACCURACY:.4f}, macro-F1 {MACRO_F1:.4f}" in done.stdout
    assert "Confusion matrix" in done.stdout
    after = done.stdout.split("Confusion matrix", 1)[1]
    cells = [line.split() for line in after.splitlines()]
    rows = {c[0]: [int(n) for n in c[1:4]] for c in cells if len(c) > 3 and c[1].isdigit()}
    assert [rows[label] for label in ("negative", "neutral", "positive")] == CONFUSION
    assert "sentiment version 1" in done.stderr
    as_json = run(signed_in, platform.url, *args, "--json")
    evaluation = json.loads(as_json.stdout)["summary"]["evaluation"]
    assert evaluation["confusion_matrix"] == CONFUSION
    refused = run(signed_in, platform.url, "eval", str(labelled), "--label-column", "stars")
    assert refused.returncode == 1 and "stars" in refused.stderr
