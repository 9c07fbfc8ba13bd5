"""Tables of the datasets service, all in its own PostgreSQL schema `datasets`."""

from sqlalchemy import MetaData

from inferlane.common.outbox import outbox_table

SCHEMA = "datasets"
metadata = MetaData(schema=SCHEMA)

outbox = outbox_table(metadata)
