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

from contextlib import contextmanager

from sqlalchemy import bindparam, column, select, table
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Session

from webhook_desk.db.models import Delivery
from webhook_desk.history.driver_reads import remember_compiled, run_compiled
from webhook_desk.history.filters import RARE_LIMIT, text_shape_of, text_values
from webhook_desk.history.first_page import PROBE

_fts = table("delivery_text", column("rowid"))
_MATCH = sql_text("delivery_text MATCH :phrase")
_PROBE = select(_fts.c.rowid).where(_MATCH).limit(RARE_LIMIT + 1)
_PROBE_SQL: dict = {}  # compiled by dialect


def condition(session: Session, text: str):
    """A WHERE condition on Delivery for deliveries whose payload contains `text`."""
    shape = text_shape(session, text)
    values = text_values(session.get_bind().dialect.name, text)
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
    dialect = session.get_bind().dialect
    if dialect.name != "sqlite":
        return "ilike"
    compiled = _PROBE_SQL.get(dialect.name)
    if compiled is None:
        compiled = _PROBE_SQL[dialect.name] = _PROBE.compile(dialect=dialect)
    values = text_values(dialect.name, text)
    remember_compiled(PROBE, (), compiled, values)
    return text_shape_of(len(run_compiled(session, compiled, values)))


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
