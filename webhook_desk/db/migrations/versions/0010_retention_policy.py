"""Retention policies: per study (and one default), how many days deliveries keep their
payloads and bodies, and how many days their records are kept at all.

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "retention_policy",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("study_id", sa.String(100), nullable=True, unique=True),
        sa.Column("payload_days", sa.Integer(), nullable=True),
        sa.Column("metadata_days", sa.Integer(), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("retention_policy")
