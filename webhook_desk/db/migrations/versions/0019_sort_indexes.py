"""Indexes for sorting History by Attempts and by Last sent: each leads with its column and
ends with (created_at, id), as the filter columns' indexes do, so a sorted page is one index
seek (history/sort_order.py). Over 1,000,000 deliveries without them a page took 0.4-3 s
(a full scan and sort each time); with them 1-12 ms (benchmarks/README.md, issue 16).

Revision ID: 0019
Revises: 0018
"""

from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

INDEXES = {
    "ix_delivery_attempts_created": ["attempt_count", "created_at", "id"],
    "ix_delivery_last_sent_created": ["last_sent_at", "created_at", "id"],
}


def upgrade() -> None:
    for name, columns in INDEXES.items():
        op.create_index(name, "delivery", columns)


def downgrade() -> None:
    for name in INDEXES:
        op.drop_index(name, table_name="delivery")
