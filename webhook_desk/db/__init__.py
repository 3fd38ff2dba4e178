"""The database layer: models, opening a database by URL, and its migrations."""

from webhook_desk.db.database import Database

__all__ = ["Database"]
