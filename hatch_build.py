"""Hatchling build hook: the generated protos go into every wheel of the server.

libs/protogen is git-ignored (so hatchling would skip it) and may be stale or missing in a
fresh clone, so a wheel gets protos generated from protos/ now, merged into the `inferlane`
package beside libs/inferlane. An editable install instead regenerates libs/protogen in
place: its path entries (dev-mode-dirs in pyproject.toml) point there, so a later
`make protos` is seen without reinstalling.
"""

import importlib.util
import shutil
import tempfile
from pathlib import Path
from types import ModuleType
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


def _protogen(root: Path) -> ModuleType:
    """tools/protogen.py by path: the build runs outside the project's import path."""
    spec = importlib.util.spec_from_file_location("_protogen", root / "tools" / "protogen.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class ProtosHook(BuildHookInterface[Any]):
    PLUGIN_NAME = "protos"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel":
            return
        root = Path(self.root)
        protogen = _protogen(root)
        if version == "editable":
            protogen.generate(root / "libs" / "protogen")
            return
        self._out = Path(tempfile.mkdtemp(prefix="inferlane-protogen-"))
        protogen.generate(self._out)
        build_data["force_include"][str(self._out / "inferlane")] = "inferlane"

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        out = getattr(self, "_out", None)
        if out is not None:
            shutil.rmtree(out, ignore_errors=True)
