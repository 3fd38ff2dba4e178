"""An index for the History filter "text within payloads".

SQLite: an FTS5 word index over delivery.payload (external content, kept in step by
triggers; why words and not trigrams: history/payload_text.py).
PostgreSQL: a pg_trgm GIN index, which serves ILIKE '%text%' directly.

Revision ID: 0003
Revises: 0002
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

SQLITE_UP = [
    "CREATE VIRTUAL TABLE delivery_text USING fts5("
    "payload, content='delivery', content_rowid='id', tokenize='unicode61')",
    "CREATE TRIGGER delivery_text_insert AFTER INSERT ON delivery BEGIN "
    "INSERT INTO delivery_text(rowid, payload) VALUES (new.id, new.payload); END",
    "CREATE TRIGGER delivery_text_delete AFTER DELETE ON delivery BEGIN "
    "INSERT INTO delivery_text(delivery_text, rowid, payload) "
    "VALUES ('delete', old.id, old.payload); END",
    "CREATE TRIGGER delivery_text_update AFTER UPDATE OF payload ON delivery BEGIN "
    "INSERT INTO delivery_text(delivery_text, rowid, payload) "
    "VALUES ('delete', old.id, old.payload); "
    "INSERT INTO delivery_text(rowid, payload) VALUES (new.id, new.payload); END",
    "INSERT INTO delivery_text(delivery_text) VALUES ('rebuild')",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS delivery_text_update",
    "DROP TRIGGER IF EXISTS delivery_text_delete",
    "DROP TRIGGER IF EXISTS delivery_text_insert",
    "DROP TABLE IF EXISTS delivery_text",
]
POSTGRES_UP = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX ix_delivery_payload_trgm ON delivery USING gin (payload gin_trgm_ops)",
]
POSTGRES_DOWN = ["DROP INDEX IF EXISTS ix_delivery_payload_trgm"]


def upgrade() -> None:
    for statement in SQLITE_UP if _is_sqlite() else POSTGRES_UP:
        op.execute(statement)


def downgrade() -> None:
    for statement in SQLITE_DOWN if _is_sqlite() else POSTGRES_DOWN:
        op.execute(statement)


def _is_sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"
