"""Session-wide real infrastructure.

PostgreSQL and NATS: the ones named by DATABASE_URL / NATS_URL when set, else embedded
servers started here (pgserver's PostgreSQL, nats-server 2.15). Triton: always a real
tritonserver on free ports with the repo's model repository.
"""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from inferlane.common import migrations
from tests.support.servers import Nats, Postgres, Triton


@pytest.fixture(scope="session")
def work_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("infra")


@pytest.fixture(scope="session")
def postgres_url(work_dir: Path) -> Iterator[str]:
    if url := os.environ.get("DATABASE_URL"):
        yield url
        return
    server = Postgres(work_dir)
    server.start()
    yield server.url
    server.stop()


@pytest.fixture(scope="session")
def migrated_db(postgres_url: str) -> str:
    """The database with every service schema at head."""
    for service in migrations.SERVICES_WITH_SCHEMA:
        migrations.upgrade(service, postgres_url)
    return postgres_url


@pytest.fixture(scope="session")
def nats_url(work_dir: Path) -> Iterator[str]:
    if url := os.environ.get("NATS_URL"):
        yield url
        return
    server = Nats(work_dir / "nats-session")
    server.start()
    yield server.url
    server.stop()


@pytest.fixture
def own_nats(tmp_path: Path) -> Iterator[Nats]:
    """A NATS server this test may stop and restart (same port, same store)."""
    server = Nats(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def triton(work_dir: Path) -> Iterator[Triton]:
    server = Triton(work_dir)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def own_triton(tmp_path: Path) -> Iterator[Triton]:
    """A Triton this test may kill, pause and restart (same ports)."""
    server = Triton(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def closed_port_url() -> str:
    """A PostgreSQL URL nobody answers: port 9 (discard) on loopback is closed here."""
    return "postgresql://postgres@127.0.0.1:9/postgres"
