"""Where things live: the default database, the shipped resources, and tunable defaults."""

import os
from pathlib import Path

APP_NAME = "webhook-desk"
DB_ENV_VAR = "WEBHOOK_DESK_DB"
KEYRING_SERVICE = "webhook-desk"
SECRET_GRACE_HOURS = 24
RECEIVER_DEFAULT_HOST = "127.0.0.1"
RECEIVER_DEFAULT_PORT = 8787
# The largest payload fired, and the largest body the built-in receiver takes: one number.
PAYLOAD_LIMIT_BYTES = 1024 * 1024


def data_dir() -> Path:
    # Imported here: every command reads this module, few need the folder (--version does not).
    import platformdirs

    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def default_db_url() -> str:
    return f"sqlite:///{data_dir() / 'webhook_desk.sqlite3'}"


def resolve_db_url(explicit: str | None) -> str:
    """The database URL: --db first, then WEBHOOK_DESK_DB, then the user's SQLite file."""
    return explicit or os.environ.get(DB_ENV_VAR) or default_db_url()


def resources_dir() -> Path:
    """The shipped data (catalog, icons): package data beside this module, the same in a
    checkout, an installed wheel and a PyInstaller bundle (build.spec puts it there)."""
    return Path(__file__).resolve().parent / "resources"


def receiver_default_url() -> str:
    return f"http://{RECEIVER_DEFAULT_HOST}:{RECEIVER_DEFAULT_PORT}/"
