"""A count every write to the tables served pages are read from bumps, in the writer's own
transaction, whichever process writes (the GUI, the CLI, the engine, `serve`): `serve` keeps a
page only as long as the count it was made under is the count (api/page_cache.py).

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

# The tables the kept pages (activity lists) are read from, as this revision knew them.
COUNTED = ("registration", "delivery", "attempt", "event_type")
WRITES = ("INSERT", "UPDATE", "DELETE")

_PG_FUNCTION = """
CREATE FUNCTION bump_change_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE change_count SET count = count + 1;
    RETURN NULL;
END $$
"""


def upgrade() -> None:
    counts = op.create_table(
        "change_count",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("count", sa.BigInteger(), nullable=False),
    )
    op.bulk_insert(counts, [{"id": 1, "count": 0}])
    postgresql = op.get_bind().dialect.name == "postgresql"
    if postgresql:
        op.execute(_PG_FUNCTION)
    for table in COUNTED:
        for write in WRITES:
            name = f"{table}_{write.lower()}_counted"
            if postgresql:  # once per statement, not per row
                op.execute(
                    f"CREATE TRIGGER {name} AFTER {write} ON {table} "
                    "FOR EACH STATEMENT EXECUTE PROCEDURE bump_change_count()"
                )
            else:
                op.execute(
                    f"CREATE TRIGGER {name} AFTER {write} ON {table} "
                    "BEGIN UPDATE change_count SET count = count + 1; END"
                )


def downgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    for table in COUNTED:
        for write in WRITES:
            on = f" ON {table}" if postgresql else ""
            op.execute(f"DROP TRIGGER {table}_{write.lower()}_counted{on}")
    if postgresql:
        op.execute("DROP FUNCTION bump_change_count()")
    op.drop_table("change_count")
