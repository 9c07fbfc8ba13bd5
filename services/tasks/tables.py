"""Tables of the tasks service, all in its own PostgreSQL schema `tasks`."""

from sqlalchemy import MetaData

from inferlane.common.outbox import outbox_table

SCHEMA = "tasks"
metadata = MetaData(schema=SCHEMA)

outbox = outbox_table(metadata)
