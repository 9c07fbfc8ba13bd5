"""Python code from protos/: messages, gRPC stubs and their type stubs (.pyi).

The one home of the protoc command: `make protos` writes libs/protogen with it, and the
build hook (hatch_build.py) runs it for every wheel, so `pip install .` ships the generated
`inferlane.<service>.v1` modules inside the `inferlane` package.

    python -m tools.protogen [OUT]     # OUT defaults to libs/protogen
"""

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROTOS = ROOT / "protos"
DEFAULT_OUT = ROOT / "libs" / "protogen"
PLUGINS = ("protoc-gen-mypy", "protoc-gen-mypy_grpc")


def _plugin(name: str) -> str:
    """mypy-protobuf's plugin: on PATH (pip's isolated build env puts its scripts there) or
    beside this interpreter (a venv run without activation)."""
    beside = Path(sys.executable).parent / name
    found = shutil.which(name) or (str(beside) if beside.exists() else None)
    if found is None:
        raise RuntimeError(f"{name} not found: mypy-protobuf must be installed")
    return found


def sources() -> list[Path]:
    return sorted(PROTOS.rglob("*.proto"))


def generate(out: Path) -> None:
    """Replaces `out/inferlane` with code generated from every file under protos/."""
    shutil.rmtree(out / "inferlane", ignore_errors=True)
    out.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "grpc_tools.protoc", f"-I{PROTOS}"]
    command += [f"--plugin={name}={_plugin(name)}" for name in PLUGINS]
    command += [f"--{kind}_out={out}" for kind in ("python", "grpc_python", "mypy", "mypy_grpc")]
    command += [str(path.relative_to(PROTOS)) for path in sources()]
    subprocess.run(command, cwd=PROTOS, check=True)


if __name__ == "__main__":
    generate(Path(sys.argv[1]).resolve() if len(sys.argv) > 1 else DEFAULT_OUT)
