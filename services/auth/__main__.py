"""`python -m services.auth`: serve the auth gRPC API until SIGTERM."""

from inferlane.common.grpc.server import run
from inferlane.common.logging import configure_logging
from services.auth.process import build
from services.auth.settings import AuthSettings


def main() -> None:
    settings = AuthSettings()
    configure_logging("auth", settings.log_level, settings.log_format)
    run(lambda: build(settings))


if __name__ == "__main__":
    main()
