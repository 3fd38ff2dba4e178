"""The `history` verb's page (the first deliveries a filter matches, newest first or in a
--sort order) read with stdlib sqlite3 from the statement a previous process compiled
(db/statement_cache.py), without importing SQLAlchemy; queries.first_dicts compiles and keeps
that statement, and reads the page the usual way."""

from __future__ import annotations

import sqlite3
from contextlib import closing

from webhook_desk.db import statement_cache
from webhook_desk.history.delivery_rows import NAMES, delivery_dict
from webhook_desk.history.filters import Filters, text_shape_of, text_values

STATEMENT = "history"  # its name in the statement cache
PROBE = "text-probe"  # payload_text.text_shape's statement


def cached(
    url: str, filters: Filters, limit: int, sort_text: str | None = None
) -> list[dict] | None:
    """The page as queries.first_dicts gives it, or None when its statement (or the
    database's schema) is not known to be current: then the caller goes the usual way.
    `sort_text` is the --sort as typed: only one the usual way accepted was ever kept."""
    filters.checked_status()
    connection = statement_cache.open_at_head(url)
    if connection is None:
        return None
    with closing(connection):
        try:
            return _read(connection, filters, limit, sort_text)
        except sqlite3.DatabaseError:  # locked, damaged: the usual way says it in words
            return None


def _read(
    connection: sqlite3.Connection, filters: Filters, limit: int, sort_text
) -> list[dict] | None:
    text: str | bool = False
    values = values_of(filters, limit, "sqlite")
    if filters.has_text():
        probe = statement_cache.lookup(PROBE, ())
        if probe is None:
            return None
        text = text_shape_of(len(probe.rows(connection, values)))
    statement = statement_cache.lookup(STATEMENT, shape(filters, text, sort_text))
    return None if statement is None else dicts(statement.rows(connection, values))


def shape(filters: Filters, text: str | bool, sort_text: str | None) -> tuple:
    """What decides the statement: the filters' shape, the text's ('rare', 'common'), the
    order."""
    return (*filters.shape(), text, sort_text or "")


def values_of(filters: Filters, limit: int, dialect_name: str) -> dict:
    values = {**filters.bind_values(), "page_limit": limit}
    if filters.has_text():
        values.update(text_values(dialect_name, filters.text or ""))
    return values


def dicts(rows: list[tuple]) -> list[dict]:
    return [delivery_dict(dict(zip(NAMES, row, strict=True))) for row in rows]
