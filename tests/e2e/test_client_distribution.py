"""The `inferlane-client` distribution (clients/python) on its own: its wheel, installed into
a fresh venv, brings none of the server's stack, and its command and SDK work against the
running platform."""

import subprocess
import sys
import venv
from pathlib import Path

import pytest

from tests.support.cli_reviews import PASSWORD, fresh_email

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
SERVER_ONLY = ("grpcio", "sqlalchemy", "psycopg", "onnxruntime", "tritonclient", "protobuf")
SDK_CALL = """
import sys
from inferlane.client import Client
with Client(sys.argv[1]) as client:
    client.register(sys.argv[2], sys.argv[3])
    client.login(sys.argv[2], sys.argv[3])
    print(client.me().email)
    print(",".join(m.name for m in client.list_models()))
"""


def _run(*command: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(c) for c in command], cwd=cwd, capture_output=True, text=True, timeout=600
    )


@pytest.fixture(scope="module")
def client_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv with only the client wheel and the dependencies it declares."""
    work = tmp_path_factory.mktemp("client-dist")
    built = _run(
        sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
        "-w", work / "wheels", ROOT / "clients" / "python", cwd=work,
    )  # fmt: skip
    assert built.returncode == 0, built.stderr
    (wheel,) = (work / "wheels").glob("inferlane_client-*.whl")
    venv.create(work / "venv", with_pip=True)
    python = work / "venv" / "bin" / "python"
    # The dependencies come from the package index (or the machine's pip find-links).
    probe = _run(python, "-m", "pip", "download", "--no-deps", "-d", work, "httpx", cwd=work)
    if probe.returncode != 0:
        pytest.skip(f"no package index reachable for the client's dependencies: {probe.stderr}")
    installed = _run(python, "-m", "pip", "install", wheel, cwd=work)
    assert installed.returncode == 0, installed.stderr
    return work / "venv"


def test_the_client_wheel_installs_without_the_server_stack(client_venv):
    python = client_venv / "bin" / "python"
    listed = _run(python, "-m", "pip", "list", "--format=freeze", cwd=client_venv)
    names = {line.split("==")[0].lower() for line in listed.stdout.splitlines()}
    assert {"inferlane-client", "httpx", "typer", "rich", "tenacity", "pydantic"} <= names
    assert not names & set(SERVER_ONLY), names
    assert "inferlane" not in names  # the server's distribution


def test_the_client_runs_from_its_own_venv_not_the_repository(client_venv):
    where = _run(
        client_venv / "bin" / "python", "-c",
        "import inferlane.client, inferlane.cli; print(inferlane.client.__file__)",
        cwd=client_venv,
    )  # fmt: skip
    assert where.returncode == 0, where.stderr
    assert where.stdout.startswith(str(client_venv)), where.stdout
    assert not where.stdout.startswith(str(ROOT))


def test_the_inferlane_command_comes_with_the_wheel(client_venv):
    helped = _run(client_venv / "bin" / "inferlane", "--help", cwd=client_venv)
    assert helped.returncode == 0, helped.stderr
    assert "Usage" in helped.stdout and "login" in helped.stdout


def test_one_sdk_call_against_the_running_platform(client_venv, platform):
    email = fresh_email("client-dist")
    called = _run(
        client_venv / "bin" / "python", "-c", SDK_CALL, platform.url, email, PASSWORD,
        cwd=client_venv,
    )  # fmt: skip
    assert called.returncode == 0, called.stderr
    me, models = called.stdout.splitlines()
    assert me == email
    assert "sentiment" in models.split(",")
