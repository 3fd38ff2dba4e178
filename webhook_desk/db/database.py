"""Opening a database by URL: engine settings per backend, migrations on start-up, sessions."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, event, make_url, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import (
    ArgumentError,
    DatabaseError,
    DBAPIError,
    OperationalError,
    SQLAlchemyError,
)
from sqlalchemy.orm import Session, sessionmaker

from webhook_desk.db import statement_cache
from webhook_desk.db.revision import script_head
from webhook_desk.errors import DatabaseUnavailable

SQLITE_BUSY_TIMEOUT_MS = 5000
SQLITE_CACHE_KB = 64 * 1024
# psycopg is an extra: most desktop users keep their history in SQLite.
POSTGRES_DRIVER_MISSING = (
    "PostgreSQL needs the psycopg driver, which is not installed: "
    "install webhook-desk[postgres] and use a postgresql+psycopg:// URL."
)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # 64 MB of page cache: history indexes over a million rows stay in memory.
    cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KB}")
    cursor.close()


def make_engine(url: str) -> Engine:
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise DatabaseUnavailable(f"'{url}' is not a database URL.") from None
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:":
            folder = Path(database).expanduser().parent
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise DatabaseUnavailable(
                    f"Cannot create the folder {folder} for the database: {exc.strerror}."
                ) from None
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    try:
        return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)
    except (ArgumentError, ImportError) as exc:
        if isinstance(exc, ImportError) and parsed.get_backend_name() == "postgresql":
            raise DatabaseUnavailable(POSTGRES_DRIVER_MISSING) from None
        raise DatabaseUnavailable(f"Cannot use the database URL '{_safe(parsed)}': {exc}") from None


def _safe(url) -> str:
    """The URL with any password hidden, for messages."""
    return url.render_as_string(hide_password=True)


def describe_failure(url: str, exc: Exception, opened: bool = False) -> DatabaseUnavailable:
    """Turn a driver error into one sentence a user can act on; `opened` once the database
    was open, so a full disk is not worded as a database that cannot be opened."""
    text = (
        str(getattr(exc, "orig", exc)).strip().splitlines()[0] if str(exc) else type(exc).__name__
    )
    safe = _safe(make_url(url))
    lowered = text.lower()
    if "locked" in lowered:
        return DatabaseUnavailable(f"The database {safe} is locked by another program; try again.")
    if "file is not a database" in lowered:
        return DatabaseUnavailable(
            f"{safe} is not a webhook-desk database (the file holds something else); "
            "point --db at a database file or at a new file name."
        )
    if "disk is full" in lowered:
        return DatabaseUnavailable(
            f"The disk holding the database {safe} is full; free some space and try again."
        )
    if "disk i/o error" in lowered:
        return DatabaseUnavailable(
            f"The database {safe} could not be read or written (disk I/O error); "
            "check the disk and try again."
        )
    if opened:
        return DatabaseUnavailable(f"Working with the database {safe} failed: {text}")
    return DatabaseUnavailable(f"Cannot open the database {safe}: {text}")


def _leave_wal(connection) -> str:
    """Switch the file to a rollback journal if no other connection has it open (it stays in
    WAL otherwise, which is just slower); the journal mode it is in afterwards."""
    connection.exec_driver_sql("PRAGMA busy_timeout=0")  # someone else there: don't wait
    try:
        mode = connection.exec_driver_sql("PRAGMA journal_mode=DELETE").scalar()
    except OperationalError:
        mode = "wal"
    connection.exec_driver_sql(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    connection.commit()
    return mode


def stored_revision(engine: Engine) -> str | None:
    """The revision recorded in the database (one query); None when it has none or several."""
    with engine.connect() as connection:  # a database that cannot be reached raises here
        try:
            rows = connection.execute(text("SELECT version_num FROM alembic_version")).all()
        except DBAPIError:  # no alembic_version table yet: a new database
            return None
    return rows[0][0] if len(rows) == 1 else None


def at_head(engine: Engine) -> bool:
    head = script_head()
    return head is not None and stored_revision(engine) == head


class Database:
    """One database: its engine, its session factory, and its schema kept at head."""

    def __init__(self, url: str):
        self.url = url
        self.engine = make_engine(url)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @classmethod
    def open(cls, url: str, migrate: bool = True) -> Database:
        """Open the database at `url`, upgrading its schema to the newest revision."""
        db = cls(url)
        if migrate:
            db.upgrade()
        return db

    def upgrade(self, revision: str = "head") -> None:
        """Bring the schema to `revision`. A database already at head costs one query."""
        try:
            if revision != "head" or not at_head(self.engine):
                # Alembic is imported here, not at the top: it costs a good part of a second
                # of start-up, and is only needed when there is a migration to run.
                from webhook_desk.db.migrate import upgrade

                upgrade(self.engine, revision)
        except DatabaseError as exc:  # OperationalError, or a file that is no database
            raise describe_failure(self.url, exc) from None
        head = script_head()
        if revision == "head" and self.is_sqlite and head:  # later reads check it themselves
            statement_cache.remember_value("head", head)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work: committed on success, rolled back on any error."""
        with self._unit_of_work(self.sessions()) as session:
            yield session

    @contextmanager
    def bulk_session(self) -> Iterator[Session]:
        """A unit of work for a large one-off load. On SQLite, when nothing else has the file
        open, it writes through a rollback journal: WAL would write every page twice (a
        million demo deliveries load in about 33 s instead of 45). WAL comes back after."""
        if not self.is_sqlite:
            with self.session() as session:
                yield session
            return
        self.engine.dispose()  # our own idle connections would keep the file in WAL mode
        with self.engine.connect() as connection:
            mode = _leave_wal(connection)
            try:
                with self._unit_of_work(Session(connection, expire_on_commit=False)) as session:
                    yield session
            finally:
                if mode == "delete":
                    connection.exec_driver_sql("PRAGMA journal_mode=WAL")
                    connection.commit()

    @contextmanager
    def _unit_of_work(self, session: Session) -> Iterator[Session]:
        try:
            yield session
            session.commit()
        except OperationalError as exc:
            session.rollback()
            raise describe_failure(self.url, exc, opened=True) from None
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()


__all__ = ["Database", "SQLAlchemyError"]
