"""Which schema revision a database is at, and which one the shipped migrations end at, read
without Alembic: a database already at head opens without importing it (see Database.upgrade)."""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def _assigned(path: Path) -> dict[str, object]:
    """The literal top-level assignments of a migration script (revision, down_revision)."""
    found = {}
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Name):
                    try:
                        found[target.id] = ast.literal_eval(node.value)
                    except ValueError:
                        continue
    return found


@cache
def script_head() -> str | None:
    """The one revision no other script revises; None when that is not clear-cut (several
    heads, an unreadable script), and then Alembic decides."""
    revisions: set[str] = set()
    revised: set = set()  # down revisions: None, a str, or several
    for path in (MIGRATIONS_DIR / "versions").glob("*.py"):
        found = _assigned(path)
        revision = found.get("revision")
        if not isinstance(revision, str):
            return None
        revisions.add(revision)
        down = found.get("down_revision")
        revised.update(down if isinstance(down, tuple | list) else [down])
    heads = revisions - revised
    return heads.pop() if len(heads) == 1 else None


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
