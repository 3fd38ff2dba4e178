"""Bulk resends are recorded as jobs, and each copy names the job that queued it, so a rerun
of a job that was killed midway queues only what it had not queued yet.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "resend_job",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("filters", sa.Text(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    # A plain ADD COLUMN: a batch (copy-the-table) alter would rewrite a million deliveries.
    # SQLite takes the reference only inside ADD COLUMN; Alembic would add it apart.
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "ALTER TABLE delivery ADD COLUMN resend_job_id INTEGER REFERENCES resend_job (id)"
        )
    else:
        op.add_column("delivery", sa.Column("resend_job_id", sa.Integer(), nullable=True))
        op.create_foreign_key(
            "fk_delivery_resend_job_id", "delivery", "resend_job", ["resend_job_id"], ["id"]
        )
    op.create_index("ix_delivery_resend_job_id", "delivery", ["resend_job_id"])


def downgrade() -> None:
    op.drop_index("ix_delivery_resend_job_id", table_name="delivery")
    with op.batch_alter_table("delivery") as batch_op:
        batch_op.drop_column("resend_job_id")
    op.drop_table("resend_job")
