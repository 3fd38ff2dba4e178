"""Which revision the shipped migrations end at, read without Alembic (or SQLAlchemy): a
database already at head opens without importing them (Database.upgrade, statement_cache)."""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

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
