"""Tables of the auth service, all in its own PostgreSQL schema `auth`."""

from sqlalchemy import MetaData

from inferlane.common.outbox import outbox_table

SCHEMA = "auth"
metadata = MetaData(schema=SCHEMA)

outbox = outbox_table(metadata)
