"""The History filter "text within payloads", served by an index on either database.

SQLite: the FTS5 table `delivery_text` (migration 0003, unicode61 words) matches the typed
words as a phrase, the last word as a prefix ("PT-1009" finds "PT-100977"). Measured on a
million demo deliveries, an FTS5 trigram index (true substrings) cost 1.3 GB and two minutes
to build against 166 MB and 25 s for words, so words it is.
PostgreSQL: ILIKE '%text%', served by the pg_trgm GIN index of the same migration.

Newest-first pages need the matches in created order. A rare text has few matches (at
most RARE_LIMIT): the planner starts from them and sorts those. A common one matches
everywhere: walk the created index and probe the match set, which finds a page within a few
thousand rows.
"""

from __future__ import annotations

import re
from contextlib import contextmanager

from sqlalchemy import bindparam, column, select, table
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Session

from webhook_desk.db.models import Delivery
from webhook_desk.errors import InvalidInput
from webhook_desk.history.driver_reads import driver_rows

RARE_LIMIT = 5000
_WORD = re.compile(r"\w+")
_fts = table("delivery_text", column("rowid"))
_MATCH = sql_text("delivery_text MATCH :phrase")


def condition(session: Session, text: str):
    """A WHERE condition on Delivery for deliveries whose payload contains `text`."""
    shape = text_shape(session, text)
    values = bind_values(session.get_bind().dialect.name, text)
    if shape == "ilike":
        return Delivery.payload.ilike(bindparam("pattern", values["pattern"]), escape="\\")
    matches = select(_fts.c.rowid).where(_MATCH.bindparams(phrase=values["phrase"]))
    if shape == "rare":
        return Delivery.id.in_(matches)  # few: the planner starts from the matches
    # "+ 0" keeps the planner from driving the query by the (huge) match set, so it walks
    # the created index in page order instead.
    return (Delivery.id + 0).in_(matches)


def text_shape(session: Session, text: str) -> str:
    """How the condition is written: 'ilike' (PostgreSQL), 'rare' or 'common' (SQLite)."""
    if session.get_bind().dialect.name != "sqlite":
        return "ilike"
    matches = select(_fts.c.rowid).where(_MATCH.bindparams(phrase=fts_phrase(text)))
    return (
        "rare"
        if len(driver_rows(session, matches.limit(RARE_LIMIT + 1))) <= RARE_LIMIT
        else "common"
    )


def bind_values(dialect_name: str, text: str) -> dict:
    """The condition's parameter values by name."""
    if dialect_name != "sqlite":
        return {"pattern": f"%{_escaped(text.strip())}%"}
    return {"phrase": fts_phrase(text)}


def fts_phrase(text: str) -> str:
    """The FTS5 query for `text`: its words as one phrase, the last word a prefix."""
    words = _WORD.findall(text.lower())
    if not words:
        raise InvalidInput(f"'{text}' has no letters or digits to search payloads for.")
    return '"' + " ".join(words) + '"*'


def _escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


@contextmanager
def bulk_load(connection, first_id: int):
    """Index rows inserted inside the block in one pass after it, not one trigger per row:
    a million-row load indexes in seconds instead of about a minute. SQLite only; the
    PostgreSQL index needs no help."""
    if connection.dialect.name != "sqlite":
        yield
        return
    # The trigger's own text, as migration 0003 made it: dropped for the load, put back after.
    trigger = connection.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'delivery_text_insert'"
    ).scalar_one()
    connection.exec_driver_sql("DROP TRIGGER delivery_text_insert")
    yield
    connection.exec_driver_sql(
        "INSERT INTO delivery_text(rowid, payload) SELECT id, payload FROM delivery WHERE id >= ?",
        (first_id,),
    )
    connection.exec_driver_sql(trigger)
