"""History at scale, each figure beside its floor measured in the same run:

1. the first page of each History filter (and a three-filter combination) through
   `queries.page_rows` (what the History table and its model read), beside the very SQL
   it issues run bare with the sqlite3 module;
2. CSV export of every delivery (`history.export`), beside the sqlite3 command-line shell
   writing the same columns in CSV mode;
3. the History table model offscreen: time from showing the view to its first painted page,
   and memory growth after scrolling to the last row.

    .venv/bin/python benchmarks/history.py [--db PATH] [--deliveries N]

Without --db a fresh demo database of N (default 1,000,000) deliveries is made first.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import event

from webhook_desk.cli import main as cli_main
from webhook_desk.db.database import SQLITE_CACHE_KB
from webhook_desk.db.models import utcnow
from webhook_desk.history import driver_reads, payload_text, queries
from webhook_desk.history.export import delivery_columns, export, tabular_query
from webhook_desk.history.queries import Filters
from webhook_desk.services.startup import open_database

REPEATS = 31


def filter_cases(db) -> dict[str, Filters]:
    now = utcnow()
    with db.session() as session:  # a subject the demo data surely has
        [row] = queries.page_rows(session, Filters(study="189"), 1).rows
        subject = queries.row_as_dict(row)["subject_id"]
    return {
        "no filter": Filters(),
        "study": Filters(study="189"),
        "subject": Filters(subject=subject),
        "registration": Filters(registration_id=3),
        "event": Filters(event="raw_processing_complete"),
        "status": Filters(status="failed"),
        "include codes 5xx,404": Filters(include_codes="5xx,404"),
        "exclude codes 2xx": Filters(exclude_codes="2xx"),
        "date range (1 day)": Filters(
            since=now - timedelta(days=10), until=now - timedelta(days=9)
        ),
        "payload text, rare (a subject id)": Filters(text=subject),
        "payload text, common": Filters(text="completed"),
        "study + status + since": Filters(
            study="189", status="failed", since=now - timedelta(days=7)
        ),
    }


def best(seconds: list[float]) -> float:
    return statistics.median(seconds)


def timed(work) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def first_pages(db, path: Path) -> list[tuple[str, float, float]]:
    """(case, ours ms, bare sqlite3 ms) for each filter's first page of 100."""
    statements: list[tuple[str, tuple]] = []

    @event.listens_for(db.engine, "before_cursor_execute")
    def note(conn, cursor, statement, parameters, context, executemany):
        statements.append((statement, parameters))

    # Hot reads go straight to the driver, past SQLAlchemy's events: note them on the way.
    def noted_rows(session, query):
        statement = driver_reads.driver_statement(session.connection(), query)
        if statement is not None:  # else it runs through SQLAlchemy and `note` sees it
            statements.append(statement)
        return driver_reads.driver_rows(session, query)

    def noted_compiled(session, compiled, values):
        statements.append(driver_reads.compiled_statement(compiled, values))
        return driver_reads.run_compiled(session, compiled, values)

    payload_text.driver_rows, queries.run_compiled = noted_rows, noted_compiled

    bare = sqlite3.connect(path)
    bare.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KB}")  # the page cache ours has
    found = []
    for name, filters in filter_cases(db).items():

        def ours(filters=filters):
            with db.session() as session:
                queries.page_rows(session, filters, 100)

        ours()  # warm the caches both sides read from
        statements.clear()
        ours()
        issued = list(statements)

        def direct(issued=issued):
            for sql, params in issued:
                bare.execute(sql, params).fetchall()

        direct()
        pairs = [(timed(ours), timed(direct)) for _ in range(REPEATS)]  # side by side
        ours_ms = best([o for o, _ in pairs]) * 1000
        bare_ms = best([b for _, b in pairs]) * 1000
        found.append((name, ours_ms, bare_ms))
    event.remove(db.engine, "before_cursor_execute", note)
    payload_text.driver_rows = driver_reads.driver_rows
    queries.run_compiled = driver_reads.run_compiled
    bare.close()
    return found


def csv_export(db, path: Path, folder: Path) -> tuple[float, float, int]:
    """(ours s, sqlite3 shell s, rows): every delivery as CSV, the same columns."""
    with db.session() as session:
        query = tabular_query(session, Filters(), delivery_columns(session), False)
        sql = str(query.compile(db.engine, compile_kwargs={"literal_binds": True}))
    shell = shutil.which("sqlite3")
    if shell is None:
        sys.exit("benchmarks/history.py needs the sqlite3 shell: apt-get install sqlite3")

    def baseline():
        with open(folder / "shell.csv", "w") as out:
            subprocess.run([shell, "-csv", "-header", str(path), sql], stdout=out, check=True)

    rows = 0

    def ours():
        nonlocal rows
        rows = export(db, Filters(), "csv", folder / "ours.csv").rows

    times_ours, times_shell = [], []
    for _ in range(2):  # alternate, so neither side alone meets a busy moment
        times_shell.append(timed(baseline))
        times_ours.append(timed(ours))
    return min(times_ours), min(times_shell), rows


def history_view(db) -> tuple[float, float]:
    """(ms from show() to the first painted page, MB grown after scrolling to the last row)."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication, QTableView

    from webhook_desk.ui.models.history_model import LOADING_TEXT, HistoryModel

    app = QApplication.instance() or QApplication([])
    before = _rss_mb()
    model = HistoryModel(db)
    table = QTableView()
    table.resize(1200, 800)
    table.setModel(model)
    painted: list[float] = []
    watch = _first_paint_watch(model, painted)
    table.viewport().installEventFilter(watch)
    started = time.perf_counter()
    table.show()
    model.reload()
    _wait(app, lambda: painted, 10)
    first_paint_ms = (painted[0] - started) * 1000
    _wait(app, lambda: not model.loading, 30)
    table.scrollToBottom()
    last = model.index(model.rowCount() - 1, 0)
    _wait(app, lambda: model.data(last) != LOADING_TEXT, 30)
    app.processEvents()
    grown = _rss_mb() - before
    table.close()
    return first_paint_ms, grown


def _first_paint_watch(model, painted: list):
    """An event filter noting the first paint that shows real rows, not placeholders."""
    from PySide6.QtCore import QEvent, QObject

    class FirstPaint(QObject):
        def eventFilter(self, watched, happening):
            if happening.type() == QEvent.Type.Paint and not painted and model.rowCount():
                if model.data(model.index(0, 0)) not in (None, "…"):
                    painted.append(time.perf_counter())
            return False

    return FirstPaint()


def _wait(app, condition, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the History view did not get there in time")
        app.processEvents()
        time.sleep(0.001)


def _rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize() / 2**20


def make_demo(folder: Path, deliveries: int) -> Path:
    path = folder / "history.sqlite3"
    started = time.perf_counter()
    code = cli_main(["--db", f"sqlite:///{path}", "demo", "--deliveries", str(deliveries)])
    assert code == 0
    print(f"demo data: {deliveries:,} deliveries in {time.perf_counter() - started:.0f} s")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, help="an existing demo database (SQLite file)")
    parser.add_argument("--deliveries", type=int, default=1_000_000)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="webhook-desk-history-"))
    try:
        path = args.db or make_demo(folder, args.deliveries)
        db = open_database(f"sqlite:///{path}")
        print("first page of 100 (median of 31)      ours ms   sqlite3 ms   ratio")
        for name, ours_ms, bare_ms in first_pages(db, path):
            print(f"  {name:36} {ours_ms:7.2f}   {bare_ms:10.2f}   {ours_ms / bare_ms:5.2f}x")
        ours_s, shell_s, rows = csv_export(db, path, folder)
        print(
            f"CSV export of {rows:,} deliveries: ours {ours_s:.1f} s, sqlite3 shell "
            f"{shell_s:.1f} s, ratio {ours_s / shell_s:.2f}x"
        )
        first_paint, grown = history_view(db)
        print(
            f"History view: first page painted {first_paint:.0f} ms after show(); "
            f"{grown:.0f} MB grown after scrolling to the last row"
        )
        db.dispose()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
