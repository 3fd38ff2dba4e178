"""Reading rows straight from the database driver's cursor, for the hot History reads.

The SQL is still written and compiled by SQLAlchemy (once per statement shape, in its own
compiled cache); only the execution and the rows skip its results machinery, which on a
page of a hundred rows cost more than the 0.17 ms query itself (benchmarks/history.py).

That takes two private parts of SQLAlchemy (`_compile_w_cache`, `_bind_processors`): there is
no public compile-with-cache, and compiling afresh would cost more than it saves. They are
checked on one minor version, pinned in pyproject.toml; tests/test_sqlalchemy_pin.py fails on
any other, so an upgrade re-checks them first.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from webhook_desk.db import statement_cache

SQLALCHEMY_MINOR = "2.1"  # the version the private parts below were checked on

_compiled: dict = {}


def driver_rows(session: Session, query) -> list[tuple]:
    """The rows of `query` as plain tuples, in the session's transaction."""
    connection = session.connection()
    statement = driver_statement(connection, query)
    if statement is None:  # SQL that depends on the values (an IN list): the usual way
        return [tuple(row) for row in session.execute(query)]
    cursor = _driver(connection.connection).cursor()
    try:
        cursor.execute(*statement)
        return cursor.fetchall()
    finally:
        cursor.close()


def _driver(pooled) -> Any:
    """The DBAPI connection under a pooled one (typed Optional: None once detached)."""
    assert pooled.driver_connection is not None
    return pooled.driver_connection


def driver_statement(connection, query) -> tuple[str, list | dict] | None:
    """(SQL, parameters) as the driver takes them, or None when the SQL depends on the
    values. Uses SQLAlchemy's own compile-with-cache step, as Connection.execute does."""
    compiled, extracted, _, _ = query._compile_w_cache(
        connection.dialect, compiled_cache=_compiled, column_keys=[]
    )
    if "POSTCOMPILE" in compiled.string:
        return None
    params = compiled.construct_params(extracted_parameters=extracted)
    convert = compiled._bind_processors
    values = {name: convert[name](v) if name in convert else v for name, v in params.items()}
    if compiled.positiontup is not None:
        return compiled.string, [values[name] for name in compiled.positiontup]
    return compiled.string, values


def run_compiled(session: Session, compiled, values: dict) -> list[tuple]:
    """Rows of a statement compiled ahead, with `values` for its named parameters."""
    cursor = _driver(session.connection().connection).cursor()
    try:
        cursor.execute(*compiled_statement(compiled, values))
        return cursor.fetchall()
    finally:
        cursor.close()


def compiled_statement(compiled, values: dict) -> tuple[str, list | dict]:
    """(SQL, parameters) as the driver takes them, for a statement compiled ahead."""
    convert = compiled._bind_processors
    params = {}
    for name in set(compiled.positiontup or compiled.binds):
        bind = compiled.binds[name]
        # Anonymous parameters (OFFSET 0, "+ 0") are constants of the shape; a named one
        # must come in `values`, or a stale value from the first compile would slip in.
        value = bind.effective_value if bind.unique else values[name]
        params[name] = convert[name](value) if name in convert else value
    if compiled.positiontup is not None:
        return compiled.string, [params[name] for name in compiled.positiontup]
    return compiled.string, params


def remember_compiled(name: str, shape, compiled, values: dict) -> None:
    """Keep a SQLite statement compiled ahead for processes that run it without SQLAlchemy
    (db/statement_cache.py), if its parameters for `values` come out there as they do here."""
    names = compiled.positiontup
    if compiled.dialect.name != "sqlite" or names is None or "POSTCOMPILE" in compiled.string:
        return
    binds = {name: compiled.binds[name] for name in names}
    constants = {name: bind.effective_value for name, bind in binds.items() if bind.unique}
    if any(not isinstance(value, int | str) for value in constants.values()):
        return
    statement = statement_cache.Statement(compiled.string, list(names), constants)
    if statement.arguments(values) == compiled_statement(compiled, values)[1]:
        statement_cache.remember(name, shape, statement)
