"""The database layer: models, opening a database by URL, and its migrations."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from webhook_desk.db.database import Database

__all__ = ["Database"]


def __getattr__(name: str):
    # Database (and SQLAlchemy with it) loads on first use, so that db.statement_cache and
    # db.revision can be imported without it (issue 15).
    if name == "Database":
        from webhook_desk.db.database import Database

        return Database
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
