"""How fast `webhook-desk demo --deliveries N` writes history, beside a bare executemany.

Both runs write into a fresh, migrated SQLite database of the same schema (same indexes).
The demo figure includes generating the rows; the bare baseline only inserts rows
generated beforehand with the same generator, through the sqlite3 module's executemany.

    .venv/bin/python benchmarks/demo_data.py [N]      (default 1,000,000)
"""

from __future__ import annotations

import random
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

from webhook_desk.cli import main as cli_main
from webhook_desk.db import Database
from webhook_desk.db.models import utcnow
from webhook_desk.services.demo import ATTEMPT_COLUMNS, DELIVERY_COLUMNS, history_rows


def run_demo(path: Path, n: int) -> float:
    started = time.perf_counter()
    code = cli_main(["--db", f"sqlite:///{path}", "demo", "--deliveries", str(n)])
    assert code == 0
    return time.perf_counter() - started


def run_bare(path: Path, n: int) -> float:
    db = Database.open(f"sqlite:///{path}")
    db.dispose()
    targets = [
        (1, "https://hooks.example.org/a", "189", ["upload"]),
        (2, "https://hooks.example.org/b", "8", ["raw_processing_complete"]),
    ]
    samples = {
        "upload": [{"status": "completed", "studyId": "189", "subjectId": "2358"}],
        "raw_processing_complete": [{"study_id": 8, "subject_id": 19525}],
    }
    d_cols, a_cols = DELIVERY_COLUMNS, ATTEMPT_COLUMNS
    deliveries, attempts = [], []
    for delivery, its in history_rows(random.Random(1), targets, samples, n, utcnow(), 1, 1):
        deliveries.append(delivery)
        attempts.extend(its)
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA journal_mode=DELETE")  # as the demo does when alone
    connection.execute("PRAGMA synchronous=NORMAL")
    connection.execute("PRAGMA cache_size=-65536")
    started = time.perf_counter()
    connection.executemany(
        f"INSERT INTO delivery ({','.join(d_cols)}) VALUES ({','.join('?' * len(d_cols))})",
        deliveries,
    )
    connection.executemany(
        f"INSERT INTO attempt ({','.join(a_cols)}) VALUES ({','.join('?' * len(a_cols))})", attempts
    )
    connection.commit()
    elapsed = time.perf_counter() - started
    connection.close()
    return elapsed


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    with tempfile.TemporaryDirectory() as tmp:
        demo_s = run_demo(Path(tmp) / "demo.sqlite3", n)
        bare_s = run_bare(Path(tmp) / "bare.sqlite3", n)
    demo_rate, bare_rate = n / demo_s, n / bare_s
    print(
        f"demo --deliveries {n:,}: {demo_s:.1f} s, {demo_rate:,.0f} records/s (generation included)"
    )
    print(f"bare executemany, same rows: {bare_s:.1f} s, {bare_rate:,.0f} records/s (insert only)")
    print(f"ratio demo/bare: {demo_rate / bare_rate:.2f}")


if __name__ == "__main__":
    main()
