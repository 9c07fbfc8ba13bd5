"""`buf breaking` against the committed baseline (protos/baseline.binpb): today's protos keep
the recorded contract, and a change that breaks it is caught."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BUF = shutil.which("buf") or str(Path(sys.executable).parent / "buf")
BASELINE = ROOT / "protos" / "baseline.binpb"


def _breaking(protos: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [BUF, "breaking", "--against", str(BASELINE)],
        cwd=protos, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_the_protos_keep_the_baseline_contract() -> None:
    result = _breaking(ROOT / "protos")
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_removed_field_is_a_breaking_change(tmp_path: Path) -> None:
    protos = tmp_path / "protos"
    shutil.copytree(ROOT / "protos", protos, ignore=shutil.ignore_patterns("*.binpb"))
    service = protos / "inferlane" / "tasks" / "v1" / "tasks_service.proto"
    text = service.read_text()
    # Drop the first field of GetTaskRequest.
    broken = re.sub(r"(message GetTaskRequest \{[^}]*?)\n\s*string \w+ = 1;", r"\1", text, count=1)
    assert broken != text, "GetTaskRequest has a string field numbered 1"
    service.write_text(broken)
    result = _breaking(protos)
    assert result.returncode != 0
    assert "GetTaskRequest" in result.stdout + result.stderr
