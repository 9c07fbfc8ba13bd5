"""The pre-commit hook runs exactly what `make lint` runs."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _lint_recipe() -> set[str]:
    makefile = (ROOT / "Makefile").read_text()
    recipe = re.search(r"^lint:.*\n((?:\t.*\n)+)", makefile, re.MULTILINE)
    assert recipe, "make lint's recipe"
    lines = [line.strip() for line in recipe.group(1).splitlines()]
    return {line.replace("$(BIN)", ".venv/bin") for line in lines}


def _hook_entries() -> set[str]:
    text = (ROOT / ".pre-commit-config.yaml").read_text()
    entries = re.findall(r"^\s+entry: (.+)$", text, re.MULTILINE)
    return {re.sub(r"^bash -c '(.*)'$", r"\1", entry) for entry in entries}


def test_every_lint_command_is_a_hook_and_no_more() -> None:
    assert _hook_entries() == _lint_recipe()
