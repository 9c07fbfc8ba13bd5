"""Dataset leases held by running tasks (fed by tasks.task.* events).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dataset_leases",
        sa.Column("task_id", UUID(as_uuid=True), primary_key=True),
        sa.Column("dataset_id", UUID(as_uuid=True), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        schema="datasets",
    )
    op.create_index(
        "ix_datasets_dataset_leases_dataset_id", "dataset_leases", ["dataset_id"], schema="datasets"
    )


def downgrade() -> None:
    op.drop_index(
        "ix_datasets_dataset_leases_dataset_id", table_name="dataset_leases", schema="datasets"
    )
    op.drop_table("dataset_leases", schema="datasets")
