"""One pgvector embedding per row of an embedding batch task, for similar-row search.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op
from pgvector.sqlalchemy import Vector
from sqlalchemy.dialects.postgresql import UUID

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

S = "tasks"
DIMENSIONS = 384  # the `embedding` model's output (MiniLM)


def _require_pgvector() -> None:
    """A PostgreSQL without pgvector fails here, by name, not later on a missing type."""
    available = op.get_bind().execute(
        sa.text("SELECT 1 FROM pg_available_extensions WHERE name = 'vector'")
    )
    if available.first() is None:
        raise RuntimeError(
            "PostgreSQL lacks the pgvector extension ('vector'), which the tasks service needs"
            " for embedding tasks and search: install it (Debian: postgresql-NN-pgvector;"
            " CloudNativePG and pgvector/pgvector images carry it) and migrate again"
        )


def upgrade() -> None:
    _require_pgvector()
    op.execute("CREATE EXTENSION IF NOT EXISTS vector")
    op.create_table(
        "task_vectors",
        sa.Column(
            "task_id",
            UUID(as_uuid=True),
            sa.ForeignKey("tasks.tasks.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("row_index", sa.BigInteger, primary_key=True),
        sa.Column("embedding", Vector(DIMENSIONS), nullable=False),
        schema=S,
    )


def downgrade() -> None:
    # The extension stays: other schemas of the same database may use it.
    op.drop_table("task_vectors", schema=S)
