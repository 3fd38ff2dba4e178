"""Where a platform mirror was read from (the API's base URL), so a change to it can be sent
there without asking for the URL again.

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN: the table is not rebuilt, so 0013's change-count triggers stay.
    op.add_column("registration", sa.Column("remote_origin", sa.Text(), nullable=True))


def downgrade() -> None:
    # DROP COLUMN in place (SQLite 3.35+ and PostgreSQL), again keeping the triggers.
    op.execute("ALTER TABLE registration DROP COLUMN remote_origin")
