"""Ad-hoc deliveries can be signed: with a chosen registration's secret, or with the
throwaway HMAC secret the built-in receiver knows (the value lives in the keyring).

Plain columns, no foreign key: adding one on SQLite means copying the whole delivery table
(a million rows), and a signing registration deleted later only leaves the delivery unsigned.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("delivery", sa.Column("signing_registration_id", sa.Integer(), nullable=True))
    op.add_column(
        "delivery",
        sa.Column("signing_throwaway", sa.Boolean(), nullable=False, server_default=sa.false()),
    )


def downgrade() -> None:
    with op.batch_alter_table("delivery") as batch_op:
        batch_op.drop_column("signing_throwaway")
        batch_op.drop_column("signing_registration_id")
