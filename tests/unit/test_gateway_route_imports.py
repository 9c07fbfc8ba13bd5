"""Route modules stand side by side: none imports another, so what two routes share lives in
a gateway module of its own (transfers, openapi_docs, dataset_files...)."""

import ast
from pathlib import Path

from tests.support import source_ast

ROUTES = Path(__file__).resolve().parents[2] / "services" / "gateway" / "routes"
PACKAGE = "services.gateway.routes"


def imported_modules(path: Path) -> set[str]:
    """Every module `path` imports, as an absolute dotted name."""
    found: set[str] = set()
    for node in ast.walk(source_ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative to the routes package, level 1 = the package itself
                base = PACKAGE.rsplit(".", node.level - 1)[0] if node.level > 1 else PACKAGE
            else:
                base = ""
            module = ".".join(part for part in (base, node.module or "") if part)
            found.add(module)
            if node.module is None:  # `from . import tasks`: the names are modules
                found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


def test_no_route_module_imports_another() -> None:
    routes = {p.stem for p in ROUTES.glob("*.py") if p.stem != "__init__"}
    assert routes, "no route modules found"
    offenders = {
        path.name: sorted(
            m for m in imported_modules(path) if m.startswith(PACKAGE + ".") or m == PACKAGE
        )
        for path in sorted(ROUTES.glob("*.py"))
        if path.stem != "__init__"
    }
    assert {name: found for name, found in offenders.items() if found} == {}


def test_the_check_sees_relative_and_absolute_imports(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "from .datasets import stream_upload\n"
        "from . import shared\n"
        "from ..uploads import invalid\n"
        "import services.gateway.routes.tasks\n"
    )
    assert imported_modules(sample) == {
        f"{PACKAGE}.datasets",
        PACKAGE,
        f"{PACKAGE}.shared",
        "services.gateway.uploads",
        f"{PACKAGE}.tasks",
    }
