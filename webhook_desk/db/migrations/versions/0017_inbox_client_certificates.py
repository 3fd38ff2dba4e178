"""The receiver's inbox records the client certificate each request presented (mTLS): its
subject and SHA-256 fingerprint, never a key.

Revision ID: 0017
Revises: 0014
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMNs: the table is not rebuilt, so 0013's change-count triggers stay.
    op.add_column(
        "received_request", sa.Column("client_cert_subject", sa.String(500), nullable=True)
    )
    op.add_column(
        "received_request", sa.Column("client_cert_fingerprint", sa.String(95), nullable=True)
    )


def downgrade() -> None:
    op.execute("ALTER TABLE received_request DROP COLUMN client_cert_fingerprint")
    op.execute("ALTER TABLE received_request DROP COLUMN client_cert_subject")
