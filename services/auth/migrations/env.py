"""Alembic environment of the auth schema; run through inferlane.common.migrate."""

from inferlane.common.migrations import run_env
from services.auth.tables import metadata

run_env(metadata)
