"""Alembic, driven from code: start-up upgrades every database to the newest revision.

Imported only when a database is not already at head (Database.upgrade checks that first).
"""

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy.engine import Engine

from webhook_desk import __version__
from webhook_desk.db.revision import MIGRATIONS_DIR
from webhook_desk.errors import DatabaseUnavailable


def alembic_config(engine: Engine | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if engine is not None:
        config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    config = alembic_config(engine)
    _refuse_unknown_revision(engine, ScriptDirectory.from_config(config))
    command.upgrade(config, revision)


def _refuse_unknown_revision(engine: Engine, scripts: ScriptDirectory) -> None:
    """A revision we have no migration for comes from a newer release: refuse, untouched."""
    current = current_revision(engine)
    if current is None:
        return
    try:
        scripts.get_revision(current)
    except CommandError:
        raise DatabaseUnavailable(
            f"This database was written by a newer webhook-desk (schema revision {current}; "
            f"webhook-desk {__version__} knows up to {scripts.get_current_head()}); "
            "open it with that newer version."
        ) from None


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()
