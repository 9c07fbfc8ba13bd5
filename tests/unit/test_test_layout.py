"""The test tree's layout: test modules hold tests; what several share lives in tests/support/
or a conftest.py, so no module under tests/ imports a `test_*` module."""

import ast
from pathlib import Path

from tests.support import source_ast

TESTS = Path(__file__).resolve().parents[1]


def imported_names(tree: ast.Module, package: str) -> list[str]:
    """Every dotted name an import may load as a module (`from package import module` too),
    relative imports resolved against `package`."""
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            parts = package.split(".")[: len(package.split(".")) + 1 - node.level]
            above = ".".join(parts) if node.level else ""
            module = ".".join(p for p in (above, node.module or "") if p)
            found.append(module)
            found += [f"{module}.{alias.name}" for alias in node.names]
    return found


def names_of_test_modules(names: list[str], root: Path) -> list[str]:
    """Those of `names` that are `test_*.py` files under `root` (the repository)."""
    return [
        name
        for name in names
        if name.rsplit(".", 1)[-1].startswith("test_")
        and (root / f"{name.replace('.', '/')}.py").is_file()
    ]


def test_no_module_under_tests_imports_a_test_module() -> None:
    offenders: dict[str, list[str]] = {}
    for path in sorted(TESTS.rglob("*.py")):
        package = ".".join(path.relative_to(TESTS.parent).parent.parts)
        names = imported_names(source_ast.parse(path.read_text()), package)
        if found := names_of_test_modules(names, TESTS.parent):
            offenders[str(path.relative_to(TESTS))] = found
    assert offenders == {}, "move what they share to tests/support/ or a conftest.py"


def test_the_check_sees_every_form_of_import(tmp_path: Path) -> None:
    for name in ("test_a", "test_b", "test_c", "test_d", "test_e"):
        (tmp_path / "tests" / "integration").mkdir(parents=True, exist_ok=True)
        (tmp_path / "tests" / "integration" / f"{name}.py").touch()
    source = """
import tests.integration.test_a
from tests.integration.test_b import helper
from tests.integration import test_c
from .test_d import helper
from tests.support.accounts import test_looking_helper
def f():
    from . import test_e
"""
    names = imported_names(source_ast.parse(source), "tests.integration")
    assert names_of_test_modules(names, tmp_path) == [
        "tests.integration.test_a",
        "tests.integration.test_b",
        "tests.integration.test_c",
        "tests.integration.test_d",
        "tests.integration.test_e",
    ]
