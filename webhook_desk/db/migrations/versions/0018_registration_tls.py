"""A registration's TLS for sending: the client certificate it presents (its public chain; the
key lives in the OS keyring) and the authorities it trusts instead of the system's.

Revision ID: 0018
Revises: 0017
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMNs: the table is not rebuilt, so 0013's change-count triggers stay.
    op.add_column("registration", sa.Column("client_certificate", sa.Text(), nullable=True))
    op.add_column("registration", sa.Column("ca_bundle", sa.Text(), nullable=True))


def downgrade() -> None:
    op.execute("ALTER TABLE registration DROP COLUMN ca_bundle")
    op.execute("ALTER TABLE registration DROP COLUMN client_certificate")
