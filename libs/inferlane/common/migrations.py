"""Alembic, one migration history per service schema (``services/<svc>/migrations``)."""

from collections.abc import Awaitable, Callable

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, create_engine, pool, text
from sqlalchemy.exc import ProgrammingError
from sqlalchemy.ext.asyncio import AsyncEngine

from inferlane.common.db import psycopg_url

SERVICES_WITH_SCHEMA = ("auth", "datasets", "tasks")


def config(service: str, database_url: str) -> Config:
    if service not in SERVICES_WITH_SCHEMA:
        raise ValueError(f"{service!r} has no schema; expected one of {SERVICES_WITH_SCHEMA}")
    cfg = Config()
    # A package resource, not a path from this file: the same in the source tree and in an
    # installed wheel (alembic resolves `package:folder` with importlib.resources).
    cfg.set_main_option("script_location", f"services.{service}:migrations")
    cfg.attributes["database_url"] = database_url
    cfg.attributes["schema"] = service
    return cfg


def upgrade(service: str, database_url: str, revision: str = "head") -> None:
    command.upgrade(config(service, database_url), revision)


def downgrade(service: str, database_url: str, revision: str = "base") -> None:
    command.downgrade(config(service, database_url), revision)


def head(service: str) -> str | None:
    """The revision this code's migrations end at."""
    return ScriptDirectory.from_config(config(service, "")).get_current_head()


def schema_check(engine: AsyncEngine, service: str) -> Callable[[], Awaitable[bool]]:
    """A health check: True once the service's schema is at this code's head revision, so a
    process started before its migrations ran stays unready instead of failing requests."""
    wanted = head(service)
    at_head = False

    async def check() -> bool:
        nonlocal at_head
        if at_head:  # migrations only move forward while this code runs
            return True
        # service is one of SERVICES_WITH_SCHEMA: head() checked it
        query = text(f'SELECT version_num FROM "{service}".alembic_version')  # noqa: S608
        try:
            async with engine.connect() as connection:
                versions = (await connection.execute(query)).scalars().all()
        except ProgrammingError:  # no version table yet: never migrated
            return False
        at_head = wanted in versions
        return at_head

    return check


def run_env(target_metadata: MetaData) -> None:
    """The body of every service's ``env.py``: online migrations inside the service's schema."""
    from alembic import context

    schema = context.config.attributes["schema"]
    url = context.config.attributes["database_url"]
    engine = create_engine(psycopg_url(url), poolclass=pool.NullPool)
    with engine.connect() as connection:
        # The version table lives in the schema, so the schema must exist first.
        connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
        connection.commit()
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            version_table_schema=schema,
            include_schemas=False,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()
