"""Every service schema migrates up, down to nothing, and up again."""

import pytest
from sqlalchemy import create_engine, inspect

from inferlane.common import migrations
from inferlane.common.db import psycopg_url


def tables(url: str, schema: str) -> set[str]:
    engine = create_engine(psycopg_url(url))
    try:
        return set(inspect(engine).get_table_names(schema=schema)) - {"alembic_version"}
    finally:
        engine.dispose()


@pytest.mark.parametrize("service", migrations.SERVICES_WITH_SCHEMA)
def test_migrations_run_up_and_down_cleanly(service, migrated_db):
    at_head = tables(migrated_db, service)
    assert "outbox" in at_head
    migrations.downgrade(service, migrated_db, "base")
    assert tables(migrated_db, service) == set()
    migrations.upgrade(service, migrated_db, "head")
    assert tables(migrated_db, service) == at_head


def test_unknown_service_has_no_migrations():
    with pytest.raises(ValueError, match="no schema"):
        migrations.config("inference", "postgresql://unused")
