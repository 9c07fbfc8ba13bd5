"""Gateway settings whose every peer is down: ports nothing listens on."""

import socket
from typing import Any

from services.gateway.settings import GatewaySettings


def closed_port() -> int:
    """A port nothing listens on: bound once by us, then released."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def unreachable_settings(**values: Any) -> GatewaySettings:
    addr = {
        name: f"127.0.0.1:{closed_port()}" for name in ("auth", "datasets", "tasks", "inference")
    }
    return GatewaySettings(
        database_url=f"postgresql://postgres@127.0.0.1:{closed_port()}/postgres",
        nats_url=f"nats://127.0.0.1:{closed_port()}",
        auth_addr=addr["auth"],
        datasets_addr=addr["datasets"],
        tasks_addr=addr["tasks"],
        inference_addr=addr["inference"],
        readiness_timeout_seconds=1.0,
        **values,
    )
