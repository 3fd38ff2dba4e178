"""An edited resend may carry headers of the tester's own (never auth or signature ones),
sent over the platform's.

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("delivery") as batch_op:
        batch_op.add_column(sa.Column("extra_headers", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("delivery") as batch_op:
        batch_op.drop_column("extra_headers")
