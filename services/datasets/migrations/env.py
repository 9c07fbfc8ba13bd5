"""Alembic environment of the datasets schema; run through inferlane.common.migrate."""

from inferlane.common.migrations import run_env
from services.datasets.tables import metadata

run_env(metadata)
