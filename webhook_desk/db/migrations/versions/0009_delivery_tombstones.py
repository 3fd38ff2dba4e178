"""Deliveries can become tombstones: a subject's erasure (and, later, retention) removes the
payload and bodies but keeps the delivery's id, event, status and dates, with the SHA-256 of
the payload it had and when it was removed, so counts and charts stay true.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("delivery") as batch_op:
        batch_op.add_column(sa.Column("payload_sha256", sa.String(64), nullable=True))
        batch_op.add_column(sa.Column("erased_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("delivery") as batch_op:
        batch_op.drop_column("erased_at")
        batch_op.drop_column("payload_sha256")
