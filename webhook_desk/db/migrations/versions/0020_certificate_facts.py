"""The facts of a registration's certificates (subject, issuer, validity, fingerprint), kept as
JSON beside them when they are saved, so the window's first paint and `health` can warn about
an expiring certificate by comparing dates, without loading cryptography (issue 15). Existing
registrations' facts are read from their stored PEM here.

Revision ID: 0020
Revises: 0019
"""

import sqlalchemy as sa
from alembic import op

from webhook_desk.certificates import kept_facts

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN: the table is not rebuilt, so 0013's change-count triggers stay.
    op.add_column("registration", sa.Column("certificate_facts", sa.Text(), nullable=True))
    connection = op.get_bind()
    with_tls = connection.execute(
        sa.text(
            "SELECT id, client_certificate, ca_bundle FROM registration"
            " WHERE client_certificate IS NOT NULL OR ca_bundle IS NOT NULL"
        )
    ).all()
    for reg_id, client_certificate, ca_bundle in with_tls:
        connection.execute(
            sa.text("UPDATE registration SET certificate_facts = :facts WHERE id = :id"),
            {"facts": kept_facts(client_certificate, ca_bundle), "id": reg_id},
        )


def downgrade() -> None:
    op.execute("ALTER TABLE registration DROP COLUMN certificate_facts")
