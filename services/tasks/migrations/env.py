"""Alembic environment of the tasks schema; run through inferlane.common.migrate."""

from inferlane.common.migrations import run_env
from services.tasks.tables import metadata

run_env(metadata)
