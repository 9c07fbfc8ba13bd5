"""Print the README's configuration table from the settings classes themselves.

`make docs` rewrites the README between its config markers; a test fails when they differ,
so the table never drifts from the code.
"""

import re
from pathlib import Path

from pydantic import AliasChoices
from pydantic_settings import BaseSettings

from inferlane.common.settings import CommonSettings
from tools.devstack.embedded import REPO_ROOT
from tools.devstack.settings import StackSettings

START, END = "<!-- config:start -->", "<!-- config:end -->"


def settings_classes() -> list[tuple[str, type[BaseSettings]]]:
    from inferlane.common.tracing import TracingSettings
    from services.auth.settings import AuthSettings
    from services.datasets.settings import DatasetsSettings
    from services.gateway.settings import GatewaySettings
    from services.inference.settings import InferenceSettings
    from services.tasks.settings import TasksSettings
    from services.tasks.worker.settings import WorkerSettings

    return [
        ("every process", CommonSettings),
        ("every process (tracing)", TracingSettings),
        ("gateway", GatewaySettings),
        ("auth", AuthSettings),
        ("datasets", DatasetsSettings),
        ("tasks", TasksSettings),
        ("tasks worker", WorkerSettings),
        ("inference", InferenceSettings),
        ("make run", StackSettings),
    ]


def env_name(cls: type[BaseSettings], field_name: str) -> str:
    field = cls.model_fields[field_name]
    if isinstance(field.validation_alias, AliasChoices):
        return str(field.validation_alias.choices[0])
    return (str(cls.model_config.get("env_prefix", "")) + field_name).upper()


def table() -> str:
    rows = ["| variable | process | default | meaning |", "|---|---|---|---|"]
    seen: set[str] = set()
    for process, cls in settings_classes():
        for name, field in cls.model_fields.items():
            variable = env_name(cls, name)
            if variable in seen:  # shared settings are listed once, under "every process"
                continue
            seen.add(variable)
            default = field.get_default(call_default_factory=True)
            if isinstance(default, Path):
                default = (
                    default.relative_to(REPO_ROOT) if default.is_relative_to(REPO_ROOT) else default
                )
            shown = "unset" if default in (None, []) else f"`{default}`"
            rows.append(f"| `{variable}` | {process} | {shown} | {field.description or ''} |")
    return "\n".join(rows)


def rewrite(readme: Path) -> bool:
    """Replace the table between the markers; True when the file changed."""
    text = readme.read_text()
    new = re.sub(f"{START}.*?{END}", f"{START}\n{table()}\n{END}", text, flags=re.S)
    if new != text:
        readme.write_text(new)
    return new != text


if __name__ == "__main__":
    print("README updated" if rewrite(REPO_ROOT / "README.md") else "README already up to date")
