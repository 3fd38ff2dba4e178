"""Statements SQLAlchemy compiled once, kept on disk and run later with stdlib sqlite3, so a
process that only reads (`history --json`, the window's first paint) need not import
SQLAlchemy at all (issue 15: importing it and the ORM is ~300 ms of a 30 ms answer).

The SQL is still written in one place, with SQLAlchemy: the first process that runs a
statement shape compiles it and stores (SQL, parameter order) here. Entries are keyed by the
package version, a checksum of every source the SQL comes from (so an edited query never runs
stale), the SQLite dialect and the shape. SQLite only; any other database goes the usual way.
"""

from __future__ import annotations

import json
import os
import sqlite3
import sys
import threading
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from importlib.util import find_spec
from pathlib import Path

from webhook_desk import __version__
from webhook_desk.db.revision import MIGRATIONS_DIR
from webhook_desk.settings import data_dir

PACKAGE = Path(__file__).resolve().parent.parent
# Where the cached SQL comes from: the statements, the models and migrations they name, the
# code that compiles and runs them.
SOURCES = (
    "db/models.py",
    "db/statement_cache.py",
    "history/driver_reads.py",
    "history/filters.py",
    "history/payload_text.py",
    "history/queries.py",
    "history/sort_order.py",
    "services/registration_list.py",
    "services/registrations.py",
    "vocabulary.py",
)
FILE_NAME = "statements.json"
MOST_ENTRIES = 500  # shapes are few; a bound keeps a script's odd filters from growing it
SQLITE_TIMEOUT_S = 5.0  # as db.database's busy_timeout
_writing = threading.Lock()  # the window's jobs keep statements from several threads


@dataclass(frozen=True)
class Statement:
    sql: str
    params: list[str]  # the name of each positional parameter, in order
    constants: dict  # values the shape fixed (a LIMIT of the SQL, "+ 0")

    def arguments(self, values: dict) -> list:
        """The driver's parameters for `values` by name, stored as SQLAlchemy stores them."""
        merged = {**values, **self.constants}
        return [sqlite_value(merged[name]) for name in self.params]

    def rows(self, connection: sqlite3.Connection, values: dict) -> list[tuple]:
        return connection.execute(self.sql, self.arguments(values)).fetchall()


def sqlite_value(value):
    """A parameter as SQLAlchemy's UTCDateTime binds it on SQLite (naive UTC, microseconds
    always written); anything else unchanged. tests/test_startup_imports.py holds it equal."""
    if not isinstance(value, datetime):
        return value
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.strftime("%Y-%m-%d %H:%M:%S.") + f"{value.microsecond:06d}"


def stored_time(value) -> datetime | None:
    """A time as a row holds it (SQLite's text, or a driver's datetime), aware UTC."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@cache
def source_key() -> str | None:
    """The version, the dialect and a checksum of every source of the SQL (SQLAlchemy's own
    version included); None when a source cannot be read, and then nothing is cached."""
    if getattr(sys, "frozen", False):  # a bundle (build.spec): its code changes only with it
        return f"{__version__}/frozen/{Path(sys.executable).stat().st_mtime_ns}"
    sqlalchemy = find_spec("sqlalchemy")
    paths = [PACKAGE / name for name in SOURCES]
    paths += sorted((MIGRATIONS_DIR / "versions").glob("*.py"))
    if sqlalchemy is None or sqlalchemy.origin is None:
        return None
    checksum = 0
    try:
        for path in [*paths, Path(sqlalchemy.origin)]:
            checksum = zlib.crc32(path.read_bytes(), checksum)
    except OSError:  # a bundle without its sources
        return None
    return f"{__version__}/sqlite/{len(paths)}/{checksum:08x}"


def cache_path() -> Path:
    return data_dir() / FILE_NAME


@cache
def _entries() -> dict:
    """The stored entries for this source key (none when it changed)."""
    try:
        stored = json.loads(cache_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(stored, dict) or stored.get("key") != source_key():
        return {}
    return stored.get("entries", {})


def lookup(name: str, shape) -> Statement | None:
    found = _entries().get(f"{name} {shape!r}") if source_key() else None
    return Statement(**found) if found else None


def cached_value(name: str):
    """A plain value remembered with the statements (the schema's head revision)."""
    return _entries().get(name) if source_key() else None


def remember(name: str, shape, statement: Statement) -> None:
    """Keep `statement` for later processes (best effort)."""
    _store(f"{name} {shape!r}", statement.__dict__)


def remember_value(name: str, value: str) -> None:
    _store(name, value)


def _store(label: str, entry) -> None:
    key = source_key()
    entries = _entries()
    if key is None or entries.get(label) == entry:
        return
    with _writing:
        _write(key, entries, label, entry)


def _write(key: str, entries: dict, label: str, entry) -> None:
    if len(entries) >= MOST_ENTRIES:
        entries.clear()
    entries[label] = entry
    path = cache_path()
    temporary = path.with_name(f"{FILE_NAME}.{os.getpid()}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary.write_text(json.dumps({"key": key, "entries": entries}), encoding="utf-8")
        os.replace(temporary, path)  # a reader sees the old file or the new, never half
    except OSError as exc:  # a read-only data folder: the next start compiles again
        print(f"webhook-desk: could not keep compiled statements: {exc}", file=sys.stderr)


def sqlite_path(url: str) -> Path | None:
    """The file of a plain `sqlite:///PATH` URL; None for anything else (query strings,
    memory, other databases), which goes the usual way."""
    prefix = "sqlite:///"
    if not url.startswith(prefix) or "?" in url or url == prefix or url.endswith(":memory:"):
        return None
    return Path(url.removeprefix(prefix)).expanduser()


def open_at_head(url: str) -> sqlite3.Connection | None:
    """A stdlib connection to the SQLite file at `url` if its schema is at the head revision
    a previous process found (one query); None when it is not, or not known, or no file."""
    path = sqlite_path(url)
    head = cached_value("head")
    if path is None or head is None or not path.is_file():
        return None
    connection = sqlite3.connect(path, timeout=SQLITE_TIMEOUT_S)
    try:
        rows = connection.execute("SELECT version_num FROM alembic_version").fetchall()
    except sqlite3.DatabaseError:  # no alembic_version yet, or not a database at all
        rows = []
    if rows != [(head,)]:
        connection.close()
        return None
    return connection
