"""How long `audit verify` takes over a trail of 100,000 entries, beside a bare baseline in the
same run: stdlib sqlite3 reading the same rows and taking one SHA-256 of each row's text (the
least any check of a hash chain must do).

Goal (issue 20): an untouched chain of 100,000 entries verifies in under 5 s.

    .venv/bin/python benchmarks/audit_verify.py [--entries 100000]
"""

from __future__ import annotations

import argparse
import hashlib
import sqlite3
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert, update  # noqa: E402

from webhook_desk.db.audit_hash import GENESIS, entry_hash  # noqa: E402
from webhook_desk.db.models import AuditEntry, AuditHead, utcnow  # noqa: E402
from webhook_desk.services import audit  # noqa: E402
from webhook_desk.services.startup import open_database  # noqa: E402

GOAL_S = 5.0


def build_trail(db, count: int) -> None:
    """`count` chained entries, as record() writes them, inserted in bulk (setup, not timed)."""
    start, previous, rows = utcnow() - timedelta(days=365), GENESIS, []
    for i in range(count):
        row = {
            "at": start + timedelta(seconds=i * 30),
            "actor": "ana",
            "host": "lab-desk-3",
            "action": "registration.disable" if i % 2 else "registration.enable",
            "entity_type": "registration",
            "entity_id": str(i % 40),
            "before": {"status": "enabled"},
            "after": {"status": "disabled", "note": f"change {i}"},
            "reason": f"weekly review {i // 100}",
            "prev_hash": previous,
        }
        row["entry_hash"] = previous = entry_hash(SimpleNamespace(**row))
        rows.append(row)
    with db.session() as session:
        session.execute(insert(AuditEntry), rows)
        session.execute(update(AuditHead).values(entries=count, head_hash=previous))


def bare_baseline(path: Path) -> tuple[float, int]:
    started = time.perf_counter()
    connection = sqlite3.connect(path)
    seen = 0
    query = (
        "SELECT id, at, actor, host, action, entity_type, entity_id, before, after, reason,"
        " prev_hash, entry_hash FROM audit_entry ORDER BY id"
    )
    for row in connection.execute(query):
        hashlib.sha256(repr(row).encode()).hexdigest()
        seen += 1
    connection.close()
    return time.perf_counter() - started, seen


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=100_000)
    args = parser.parse_args()
    path = Path(tempfile.mkdtemp(prefix="webhook-desk-audit-bench-")) / "audit.sqlite3"
    db = open_database(f"sqlite:///{path}")
    build_trail(db, args.entries)

    started = time.perf_counter()
    with db.session() as session:
        state = audit.verify(session)
    ours = time.perf_counter() - started
    assert state.ok and state.entries == args.entries, state
    bare, seen = bare_baseline(path)
    assert seen == args.entries

    print(f"audit verify, {args.entries:,} entries: {ours:.2f} s (intact: {state.ok})")
    print(f"bare sqlite3 + one sha256 per row:  {bare:.2f} s")
    print(f"ratio: {ours / bare:.1f}x the bare loop")
    met = ours < GOAL_S
    print(f"goal: under {GOAL_S:.0f} s: {'met' if met else 'NOT met'}")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
