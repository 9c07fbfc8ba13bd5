"""``python -m services.gateway``: settings from the environment, JSON logs, traces, uvicorn."""

import uvicorn

from inferlane.common.logging import configure_logging
from inferlane.common.tracing import configure_tracing

from .app import create_app
from .settings import GatewaySettings


def main() -> None:
    settings = GatewaySettings()
    configure_logging("gateway", settings.log_level, settings.log_format)
    configure_tracing("gateway")  # the SDK flushes its spans at exit
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        timeout_keep_alive=settings.keep_alive_seconds,
        # C event loop and HTTP parser instead of asyncio's and h11 (docs/benchmarks.md).
        loop="uvloop",
        http="httptools",
        access_log=False,  # RequestContextMiddleware logs each request, with its id
        # The app applies GATEWAY_TRUSTED_PROXIES itself; uvicorn's own default would believe
        # X-Forwarded-For from 127.0.0.1, i.e. from anyone on this host.
        proxy_headers=False,
        log_config=None,  # keep the structlog handler configure_logging installed
    )


if __name__ == "__main__":
    main()
