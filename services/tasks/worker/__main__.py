"""`python -m services.tasks.worker`: the task worker process."""

from inferlane.common.grpc.server import run
from inferlane.common.logging import configure_logging
from services.tasks.worker.process import build
from services.tasks.worker.settings import WorkerSettings


def main() -> None:
    settings = WorkerSettings()
    configure_logging("tasks-worker", settings.log_level, settings.log_format)
    run(lambda: build(settings))


if __name__ == "__main__":
    main()
