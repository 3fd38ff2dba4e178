"""What every verb's handler shares: opening the database, printing records."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from webhook_desk.db import Database


def open_db(args) -> Database:
    # Imported here: SQLAlchemy loads only for a verb that opens the database this way.
    from webhook_desk.services.startup import open_database

    return open_database(getattr(args, "db", None))


def _default(value):
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def print_json(document) -> None:
    json.dump(document, sys.stdout, indent=2, default=_default)
    sys.stdout.write("\n")


def print_table(rows: list[dict], columns: list[str]) -> None:
    """A plain aligned text table for people; scripts use --json."""
    if not rows:
        print("(none)")
        return
    texts = [[_cell(row.get(c)) for c in columns] for row in rows]
    widths = [max(len(c), *(len(t[i]) for t in texts)) for i, c in enumerate(columns)]
    print("  ".join(c.upper().ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip())
    for t in texts:
        print("  ".join(v.ljust(w) for v, w in zip(t, widths, strict=True)).rstrip())


def print_rows(rows: list[dict], columns: list[str], as_json: bool) -> None:
    """A listing verb's output: one JSON document with --json, else a table."""
    if as_json:
        print_json(rows)
    else:
        print_table(rows, columns)


def _cell(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, datetime):
        return value.astimezone().strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return str(value)
