"""The SDK and CLI ship alone as `inferlane-client` (clients/python): they may import only
the standard library, their own packages and the dependencies that distribution declares."""

import ast
import sys
import tomllib
from pathlib import Path

from tests.support import source_ast

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = [ROOT / "libs" / "inferlane" / "client", ROOT / "libs" / "inferlane" / "cli"]
# Distribution name -> top-level module, where they differ.
MODULE_OF = {"httpx-sse": "httpx_sse"}


def declared_modules() -> set[str]:
    project = tomllib.loads((ROOT / "clients" / "python" / "pyproject.toml").read_text())
    names = {
        d.split(">")[0].split("=")[0].split("<")[0].strip()
        for d in project["project"]["dependencies"]
    }
    return {MODULE_OF.get(name, name) for name in names}


def imported(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(source_ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
    return found


def test_the_client_imports_nothing_of_the_server():
    allowed = declared_modules() | set(sys.stdlib_module_names)
    for package in PACKAGES:
        for path in package.glob("*.py"):
            for module in imported(path):
                top = module.split(".")[0]
                ours = module.startswith(("inferlane.client", "inferlane.cli"))
                assert ours or (top != "inferlane" and top in allowed), f"{path.name}: {module}"
