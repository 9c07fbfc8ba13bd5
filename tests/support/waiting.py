"""Polling helpers: tests wait for conditions, never for fixed times."""

import asyncio
import random
import socket
import time
from collections.abc import Awaitable, Callable
from pathlib import Path


def _ephemeral_start() -> int:
    """Where the kernel starts picking local ports for outgoing connections."""
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768  # Linux's default


_GIVEN: set[int] = set()  # never the same port twice in one test process


def free_port() -> int:
    """A port free now, for a server started later, chosen below the ephemeral range.
    A port from bind(0) is an ephemeral one: an outgoing connection opened meanwhile (a
    service's to PostgreSQL, say) could get it as its local port, and the server that binds
    it seconds later fails with "Address already in use" for as long as that connection
    lives (a devstack test once lost 180 s that way). Below the range, the kernel never
    hands a port out by itself."""
    top = _ephemeral_start() - 1
    for _ in range(1000):
        port = random.randint(max(1024, top - 12_000), top)
        if port in _GIVEN:
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        _GIVEN.add(port)
        return port
    raise RuntimeError("no free port below the ephemeral range")


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.1)


async def eventually(condition: Callable[[], Awaitable[bool]], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not await condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(0.1)


def port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0
