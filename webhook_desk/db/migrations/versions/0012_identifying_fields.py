"""The payload fields that identify a study participant (Settings), masked on screen and
pseudonymised in exports, and whether masking is on (it is, from the start).

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

# The subject id and identifier keys of every catalog event, as this revision knew them.
DEFAULT_FIELDS = (
    "subjectId",
    "subject_id",
    "SubjectId",
    "subject_identifier",
    "subjectIdentifier",
    "SubjectIdentifier",
)


def upgrade() -> None:
    fields = op.create_table(
        "identifying_field",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False, unique=True),
    )
    masking = op.create_table(
        "masking_setting",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("enabled", sa.Boolean(), nullable=False),
    )
    op.bulk_insert(fields, [{"name": name} for name in DEFAULT_FIELDS])
    op.bulk_insert(masking, [{"id": 1, "enabled": True}])


def downgrade() -> None:
    op.drop_table("masking_setting")
    op.drop_table("identifying_field")
