"""`python -m services.tasks`: serve the tasks gRPC API until SIGTERM."""

from inferlane.common.grpc.server import run
from inferlane.common.logging import configure_logging
from services.tasks.process import build
from services.tasks.settings import TasksSettings


def main() -> None:
    settings = TasksSettings()
    configure_logging("tasks", settings.log_level, settings.log_format)
    run(lambda: build(settings))


if __name__ == "__main__":
    main()
