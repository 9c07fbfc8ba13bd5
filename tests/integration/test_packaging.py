"""The server's distribution: `pip wheel .` gives the `services` and `inferlane` packages with
the code generated from protos/ inside, and that tree imports on its own, without the
repository (or the editable install's path entries) on sys.path."""

import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
IMPORTS = """
import sys
import inferlane.tasks.v1.tasks_service_pb2, services.gateway.app
from inferlane.common import migrations
print(inferlane.tasks.v1.tasks_service_pb2.__file__)
print(services.gateway.app.__file__)
print(migrations.head("tasks"))
print("\\n".join(sys.path))
"""


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
         "-w", str(out), str(ROOT)],
        cwd=out, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert built.returncode == 0, built.stderr
    (path,) = out.glob("inferlane-*.whl")
    return path


def test_the_wheel_carries_the_generated_protos_and_the_services(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for name in (
        "inferlane/tasks/v1/tasks_service_pb2.py",
        "inferlane/tasks/v1/tasks_service_pb2.pyi",
        "inferlane/tasks/v1/tasks_service_pb2_grpc.py",
        "inferlane/common/settings.py",
        "inferlane/client/aio.py",
        "services/gateway/app.py",
        "services/tasks/migrations/env.py",
        "services/gateway/console/static/index.html",
    ):
        assert name in names, name
    # Source roots are folded away; model artefacts and training code stay out.
    assert not [n for n in names if n.startswith(("libs/", "protogen/", "tools/", "tests/"))]
    assert not [n for n in names if "model_repository" in n or "/training/" in n]


def test_the_installed_tree_imports_without_the_repository(wheel: Path, tmp_path: Path) -> None:
    """A fresh venv holding only the wheel; the third-party packages come from this venv's
    site-packages through a plain path entry (no .pth files of ours are run from it)."""
    venv.create(tmp_path / "venv", with_pip=False)
    python = tmp_path / "venv" / "bin" / "python"
    site = Path(
        subprocess.check_output(
            [python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"], text=True
        ).strip()
    )
    (site / "deps.pth").write_text(sysconfig.get_path("purelib") + "\n")
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(site)
    run = subprocess.run(
        [python, "-c", IMPORTS], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stderr
    pb2, app, head, *path = run.stdout.splitlines()
    assert pb2.startswith(str(site)) and app.startswith(str(site)), (pb2, app)
    assert head, "the migrations ship with the services"
    source_roots = {str(ROOT), str(ROOT / "libs"), str(ROOT / "libs" / "protogen")}
    assert not source_roots & set(path), path
