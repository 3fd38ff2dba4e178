"""Secret fingerprints become keyed (HMAC with the installation's key, kept in the keyring).

The old ones were unsalted SHA-256 prefixes, from which a guessable password could be
recovered; they are erased here, from the secret versions and from the audit trail's
rotations. Start-up computes them again, keyed, once the keyring holds the values
(services/secret_fingerprints.py); until then a version's fingerprint is unknown.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

audit_entry = sa.table(
    "audit_entry",
    sa.column("id", sa.Integer),
    sa.column("action", sa.String),
    sa.column("after", sa.JSON),
)


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("PRAGMA secure_delete = ON")  # the old values must not linger in free pages
    with op.batch_alter_table("secret_version") as batch_op:
        batch_op.alter_column("fingerprint", existing_type=sa.String(16), nullable=True)
    op.execute("UPDATE secret_version SET fingerprint = NULL")
    connection = op.get_bind()
    rotations = connection.execute(
        sa.select(audit_entry.c.id, audit_entry.c.after).where(
            audit_entry.c.action == "secret.rotate"
        )
    )
    for entry_id, after in list(rotations):
        if isinstance(after, dict) and after.get("fingerprint"):
            connection.execute(
                audit_entry.update()
                .where(audit_entry.c.id == entry_id)
                .values(after={**after, "fingerprint": None})
            )


def downgrade() -> None:
    op.execute("UPDATE secret_version SET fingerprint = '' WHERE fingerprint IS NULL")
    with op.batch_alter_table("secret_version") as batch_op:
        batch_op.alter_column("fingerprint", existing_type=sa.String(16), nullable=False)
