"""What every front end does first: open the database at its newest schema with the catalog."""

from webhook_desk.db import Database
from webhook_desk.secrets import SecretStore
from webhook_desk.services.catalog import sync_catalog
from webhook_desk.services.secret_fingerprints import fill_missing
from webhook_desk.settings import resolve_db_url


def open_database(url: str | None = None) -> Database:
    """The database at `url` (or the default), migrated, with the shipped catalog loaded."""
    db = Database.open(resolve_db_url(url))
    with db.session() as session:
        sync_catalog(session)
        fill_missing(session, SecretStore())
    return db
