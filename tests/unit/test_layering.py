"""The import graph, read with ast (nothing is imported): shared code knows no service and no
tool, common's parts form no cycle, services meet only through protos and common, and the
client distribution's packages stand alone."""

import ast
from collections.abc import Iterator
from functools import cache
from pathlib import Path

from tests.support import source_ast

ROOT = Path(__file__).resolve().parents[2]
# Where each top-level name's code lives (the source roots the distribution packages).
SOURCES = {"inferlane": ROOT / "libs" / "inferlane", "services": ROOT / "services"}
NOT_CODE = ("model_repository", "training")


def _module(path: Path, top: str) -> str:
    parts = [top, *path.relative_to(SOURCES[top]).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, module: str) -> Iterator[str]:
    """Every module named by an import anywhere in the file (functions included)."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(source_ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")
            base = base[: len(base) - node.level + 1] if node.level else []
            target = ".".join([*base, *([node.module] if node.module else [])])
            yield target
            yield from (f"{target}.{alias.name}" for alias in node.names)


@cache
def graph() -> dict[str, frozenset[str]]:
    edges: dict[str, frozenset[str]] = {}
    for top, source in SOURCES.items():
        for path in source.rglob("*.py"):
            if not set(NOT_CODE) & set(path.parts):
                module = _module(path, top)
                edges[module] = frozenset(_imports(path, module))
    return edges


def _within(name: str, *prefixes: str) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def test_the_graph_is_read() -> None:
    edges = graph()
    assert "inferlane.common.grpc.client" in edges and "services.gateway.app" in edges
    assert "inferlane.common.principal" in edges["inferlane.common.grpc.client"]


def test_common_knows_no_service_no_tool_and_no_client() -> None:
    found = {
        (module, target)
        for module, targets in graph().items()
        if _within(module, "inferlane.common")
        for target in targets
        if _within(
            target, "services", "tools", "bench", "tests", "inferlane.client", "inferlane.cli"
        )
    }
    assert not found


def test_commons_parts_form_no_cycle() -> None:
    """A part is a module or subpackage directly under inferlane.common (e.g. grpc, auth)."""
    parts: dict[str, set[str]] = {}
    for module, targets in graph().items():
        if _within(module, "inferlane.common") and module != "inferlane.common":
            part = module.split(".")[2]
            parts.setdefault(part, set()).update(
                t.split(".")[2]
                for t in targets
                if _within(t, "inferlane.common") and t.count(".") >= 2
            )
            parts[part].discard(part)

    def reaches(start: str) -> set[str]:
        seen: set[str] = set()
        stack = [start]
        while stack:
            for nxt in parts.get(stack.pop(), set()) - seen:
                seen.add(nxt)
                stack.append(nxt)
        return seen

    cycles = sorted((a, b) for a, deps in parts.items() for b in deps if a in reaches(b))
    assert not cycles
    assert "auth" in parts and "grpc" not in reaches("grpc") and "auth" not in reaches("grpc")


def test_services_meet_only_through_protos_and_common() -> None:
    """No service imports another's modules; what they share is the generated protos
    (inferlane.<service>.v1) and inferlane.common. Nor do they import tools or tests."""
    found = set()
    for module, targets in graph().items():
        if not _within(module, "services"):
            continue
        own = ".".join(module.split(".")[:2])
        for target in targets:
            foreign = _within(target, "services") and not _within(target, own)
            if foreign or _within(
                target, "tools", "bench", "tests", "inferlane.cli", "inferlane.client"
            ):
                found.add((module, target))
    assert not found


def test_the_client_packages_stand_alone() -> None:
    """inferlane.client and inferlane.cli ship alone (clients/python): no server code, no protos."""
    found = {
        (module, target)
        for module, targets in graph().items()
        if _within(module, "inferlane.client", "inferlane.cli")
        for target in targets
        if _within(target, "inferlane", "services")
        and not _within(target, "inferlane.client", "inferlane.cli")
    }
    assert not found
