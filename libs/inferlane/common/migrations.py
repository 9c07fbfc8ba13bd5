"""Alembic, one migration history per service schema (``services/<svc>/migrations``)."""

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import MetaData, create_engine, pool, text

from inferlane.common.db import psycopg_url

REPO_ROOT = Path(__file__).resolve().parents[3]
SERVICES_WITH_SCHEMA = ("auth", "datasets", "tasks")


def config(service: str, database_url: str) -> Config:
    if service not in SERVICES_WITH_SCHEMA:
        raise ValueError(f"{service!r} has no schema; expected one of {SERVICES_WITH_SCHEMA}")
    cfg = Config()
    cfg.set_main_option("script_location", str(REPO_ROOT / "services" / service / "migrations"))
    cfg.attributes["database_url"] = database_url
    cfg.attributes["schema"] = service
    return cfg


def upgrade(service: str, database_url: str, revision: str = "head") -> None:
    command.upgrade(config(service, database_url), revision)


def downgrade(service: str, database_url: str, revision: str = "base") -> None:
    command.downgrade(config(service, database_url), revision)


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
