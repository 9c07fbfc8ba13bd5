"""AUTH_SERVICE_ACCOUNTS and its counterpart in `make run`: one JSON object of name → API key,
checked on start; the launcher gives auth and the worker the same new key each time."""

import json

import pytest
from pydantic import ValidationError

from services.auth.settings import AuthSettings
from services.tasks.worker.settings import WorkerSettings
from tools.devstack.__main__ import plan
from tools.devstack.settings import StackSettings

KEY = "ilk_" + "a" * 32


def test_service_accounts_are_read_from_a_json_object(monkeypatch):
    monkeypatch.setenv("AUTH_SERVICE_ACCOUNTS", json.dumps({"tasks-worker": KEY}))

    accounts = AuthSettings().service_accounts

    assert {name: key.get_secret_value() for name, key in accounts.items()} == {"tasks-worker": KEY}
    assert KEY not in repr(accounts)  # a secret in logs and tracebacks stays hidden


def test_there_are_none_by_default(monkeypatch):
    monkeypatch.delenv("AUTH_SERVICE_ACCOUNTS", raising=False)

    assert AuthSettings().service_accounts == {}


@pytest.mark.parametrize(
    "accounts",
    [
        {"tasks-worker": "a" * 40},  # not an API key
        {"tasks-worker": "ilk_" + "a" * 31},  # too short to be random enough
        {"Tasks Worker": KEY},
        {"ops@example.com": KEY},
        {"": KEY},
    ],
)
def test_a_malformed_account_stops_the_start(accounts):
    with pytest.raises(ValidationError):
        AuthSettings(service_accounts=accounts)


def launch_env(settings: StackSettings) -> dict[str, dict[str, str]]:
    processes, _ = plan(settings)
    return {p.name: p.extra_env for p in processes}


@pytest.fixture
def stack() -> StackSettings:
    """Every server given, so planning starts nothing embedded."""
    return StackSettings(
        database_url="postgresql://db", nats_url="nats://nats", triton_url="triton:8001"
    )


def test_make_run_gives_auth_and_the_worker_the_same_key(monkeypatch, stack):
    env = launch_env(stack)
    for name, value in env["auth"].items():
        monkeypatch.setenv(name, value)
    for name, value in env["tasks-worker"].items():
        monkeypatch.setenv(name, value)

    configured = AuthSettings().service_accounts["tasks-worker"].get_secret_value()
    worker_key = WorkerSettings().service_key

    assert worker_key is not None and worker_key.get_secret_value() == configured


def test_make_run_makes_a_new_key_each_launch(stack):
    first, second = launch_env(stack), launch_env(stack)

    assert first["tasks-worker"] != second["tasks-worker"]
    assert "AUTH_SERVICE_ACCOUNTS" not in first["datasets"]  # only the two that need it
