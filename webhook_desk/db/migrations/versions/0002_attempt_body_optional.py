"""An attempt's request body may be NULL, meaning the delivery's payload as sent.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("attempt") as batch_op:
        batch_op.alter_column("request_body", existing_type=sa.Text(), nullable=True)


def downgrade() -> None:
    op.execute(
        "UPDATE attempt SET request_body = "
        "(SELECT payload FROM delivery WHERE delivery.id = attempt.delivery_id) "
        "WHERE request_body IS NULL"
    )
    with op.batch_alter_table("attempt") as batch_op:
        batch_op.alter_column("request_body", existing_type=sa.Text(), nullable=False)
