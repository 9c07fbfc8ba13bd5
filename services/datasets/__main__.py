"""`python -m services.datasets`: serve the datasets gRPC API until SIGTERM."""

from inferlane.common.grpc.server import run
from inferlane.common.logging import configure_logging
from services.datasets.process import build
from services.datasets.settings import DatasetsSettings


def main() -> None:
    settings = DatasetsSettings()
    configure_logging("datasets", settings.log_level, settings.log_format)
    run(lambda: build(settings))


if __name__ == "__main__":
    main()
