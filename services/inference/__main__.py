"""`python -m services.inference`: serve the inference gRPC API until SIGTERM."""

from inferlane.common.grpc.server import run
from inferlane.common.logging import configure_logging
from services.inference.process import build
from services.inference.settings import InferenceSettings


def main() -> None:
    settings = InferenceSettings()
    configure_logging("inference", settings.log_level, settings.log_format)
    run(lambda: build(settings))


if __name__ == "__main__":
    main()
