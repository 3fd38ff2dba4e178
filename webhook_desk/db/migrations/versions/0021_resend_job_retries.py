"""The hosted deliveries a resend-all job had their ECG module retry, so a rerun of a job that
was interrupted skips them as it skips the copies it queued here (0008).

Revision ID: 0021
Revises: 0020
"""

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "resend_job_retry",
        sa.Column("job_id", sa.Integer(), nullable=False),
        sa.Column("delivery_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["job_id"], ["resend_job.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["delivery_id"], ["delivery.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("job_id", "delivery_id"),
    )


def downgrade() -> None:
    op.drop_table("resend_job_retry")
