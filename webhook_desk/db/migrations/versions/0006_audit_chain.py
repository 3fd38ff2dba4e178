"""The audit trail becomes a hash chain: each entry gets its host, the previous entry's hash
and its own; one head row holds the newest hash and the count. Entries already written are
chained here, oldest first, so `audit verify` covers them too.

Revision ID: 0006
Revises: 0005
"""

from types import SimpleNamespace

import sqlalchemy as sa
from alembic import op

from webhook_desk.db.audit_hash import GENESIS, entry_hash

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

CHUNK = 1_000

audit_entry = sa.table(
    "audit_entry",
    *(sa.column(name) for name in ("id", "actor", "action", "entity_type", "entity_id")),
    sa.column("at", sa.DateTime),
    sa.column("before", sa.JSON),
    sa.column("after", sa.JSON),
    sa.column("reason", sa.Text),
    sa.column("host", sa.String),
    sa.column("prev_hash", sa.String),
    sa.column("entry_hash", sa.String),
)


def upgrade() -> None:
    with op.batch_alter_table("audit_entry") as batch_op:
        batch_op.add_column(sa.Column("host", sa.String(200), nullable=True))
        batch_op.add_column(sa.Column("prev_hash", sa.String(64), nullable=True))
        batch_op.add_column(sa.Column("entry_hash", sa.String(64), nullable=True))
    head = op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("entries", sa.Integer, nullable=False),
        sa.Column("head_hash", sa.String(64), nullable=False),
    )
    previous, count = _chain_existing(op.get_bind())
    op.bulk_insert(head, [{"id": 1, "entries": count, "head_hash": previous}])


def _chain_existing(connection) -> tuple[str, int]:
    """Hash the entries written before the chain, oldest first."""
    rows = connection.execute(sa.select(audit_entry).order_by(audit_entry.c.id)).all()
    previous, updates = GENESIS, []
    for row in rows:
        entry = SimpleNamespace(**{**row._mapping, "prev_hash": previous})
        updates.append({"key": row.id, "prev": previous, "own": entry_hash(entry)})
        previous = updates[-1]["own"]
    statement = (
        sa.update(audit_entry)
        .where(audit_entry.c.id == sa.bindparam("key"))
        .values(prev_hash=sa.bindparam("prev"), entry_hash=sa.bindparam("own"))
    )
    for start in range(0, len(updates), CHUNK):
        connection.execute(statement, updates[start : start + CHUNK])
    return previous, len(rows)


def downgrade() -> None:
    op.drop_table("audit_head")
    with op.batch_alter_table("audit_entry") as batch_op:
        batch_op.drop_column("entry_hash")
        batch_op.drop_column("prev_hash")
        batch_op.drop_column("host")
