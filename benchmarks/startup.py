"""Start-up (issue 15): three figures, each beside its baseline measured in the same run, each
the median of several fresh processes (as a user's or a script's launch is).

1. `webhook-desk --version`, beside `python -c pass`. Goal: within 3x.
2. `webhook-desk history --limit 100 --json` on the demo database (1,000,000 deliveries by
   default), beside a bare script (stdlib sqlite3 + json) that opens the same file and prints
   the same 100 rows as JSON (checked equal once). Goal: within 3x, and under 0.4 s.
3. The main window shown with the Registrations tab painted with its rows (a deferred start:
   the other tabs, the engine and the receiver come after), beside a bare PySide6 QMainWindow
   shown. Goal: within 3x. Also shown: when the rest is built, and a full (not deferred) build.

    .venv/bin/python benchmarks/startup.py [--runs 5] [--deliveries 1000000] [--db FILE]

--db reuses a demo database made before (making 1,000,000 deliveries takes about a minute).

`history` and the window's first paint run statements a previous process compiled (kept in
the data folder, see webhook_desk/db/statement_cache.py), without importing SQLAlchemy. The
run uses a data folder of its own, empty at first, so the first run of each (the one that
compiles and keeps them, as after an install or an upgrade) is measured and shown on its own
line; the medians are of the runs after it. The keyring is the throwaway one, chosen through
PYTHON_KEYRING_BACKEND so that it loads when the app asks for it, as the real one does.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENV = {
    **os.environ,
    "QT_QPA_PLATFORM": "offscreen",
    "PYTHONPATH": str(ROOT),
    "PYTHON_KEYRING_BACKEND": "webhook_desk.throwaway_keyring.ThrowawayKeyring",
}
GOAL_RATIO = 3.0
HISTORY_GOAL_S = 0.4

MAKE_DEMO = """
import sys, keyring
from webhook_desk.throwaway_keyring import ThrowawayKeyring
keyring.set_keyring(ThrowawayKeyring())
from webhook_desk.cli import main
sys.exit(main(["--db", sys.argv[1], "demo", "--deliveries", sys.argv[2]]))
"""

BARE_HISTORY = """
import json, sqlite3, sys
from datetime import UTC, datetime

def iso(text):
    return datetime.fromisoformat(text).replace(tzinfo=UTC).isoformat() if text else None

connection = sqlite3.connect(sys.argv[1])
rows = connection.execute(
    "SELECT id, uuid, registration_id, event_code, event_version, status, response_code, "
    "attempt_count, created_at, last_sent_at, next_attempt_at, target_url, study_id, "
    "subject_id, error, duration_ms, is_validation, resent_from_id, source, erased_at "
    "FROM delivery "
    "ORDER BY created_at DESC, id DESC LIMIT 100"
).fetchall()
keys = ["id", "delivery_id", "registration_id", "event", "event_version", "status",
        "response_code", "attempts", "created_at", "last_sent_at", "next_attempt_at",
        "target_url", "study_id", "subject_id", "error", "duration_ms", "is_validation",
        "resent_from_id", "source", "erased_at"]
out = []
for row in rows:
    item = dict(zip(keys, row))
    for key in ("created_at", "last_sent_at", "erased_at"):
        item[key] = iso(item[key])
    item["next_attempt_at"] = iso(item["next_attempt_at"]) if item["status"] == "pending" else None
    item["is_validation"] = bool(item["is_validation"])
    out.append(item)
json.dump(out, sys.stdout, indent=2)
sys.stdout.write("\\n")
"""

BARE_WINDOW = """
import sys, time
spawned = float(sys.argv[1])
from PySide6.QtWidgets import QApplication, QMainWindow
app = QApplication([])
window = QMainWindow()
window.resize(1280, 800)
window.show()
app.processEvents()
print("shown", time.time() - spawned)
"""

OUR_WINDOW = """
import sys, time
spawned, url, settings, mode = float(sys.argv[1]), *sys.argv[2:]
deferred = mode == "deferred"
from PySide6.QtCore import QSettings
QSettings.setDefaultFormat(QSettings.Format.IniFormat)
QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, settings)
from webhook_desk.ui.app import finish_start, make_application, open_window
app = make_application()
window = open_window(url, deferred=deferred)
early = "sqlalchemy" in sys.modules
if not deferred:  # the full build paints its rows when their query answers
    from webhook_desk.ui.jobs import wait_for_jobs
    wait_for_jobs()
    app.processEvents()
assert window.registrations_tab.model.rowCount() > 0, "no rows painted"
print("shown", time.time() - spawned)
if deferred:
    finished = []
    finish_start(window, lambda: finished.append(True))
    while not finished:
        app.processEvents()
        time.sleep(0.001)
    print("rest", time.time() - spawned)
    print("sqlalchemy_before_paint", float(early))
window.shutdown()
"""


def wall(argv: list[str]) -> float:
    """Seconds from spawn to exit of a fresh interpreter."""
    started = time.perf_counter()
    subprocess.run(argv, env=ENV, check=True, stdout=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    return time.perf_counter() - started


def reported(code: str, *args: str) -> dict[str, float]:
    """The seconds since spawn that a child prints, by name."""
    out = subprocess.run(
        [sys.executable, "-c", code, repr(time.time()), *args],
        env=ENV,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return {name: float(value) for name, value in (line.split() for line in out.splitlines())}


def median_of(runs: int, measure) -> float:
    measure()  # warm the disk cache first, so neither side pays for the first read
    return statistics.median(measure() for _ in range(runs))


def make_demo(directory: Path, deliveries: int) -> Path:
    path = directory / "demo.sqlite3"
    print(f"making a demo database with {deliveries:,} deliveries…", file=sys.stderr)
    url = f"sqlite:///{path}"
    subprocess.run([sys.executable, "-c", MAKE_DEMO, url, str(deliveries)], env=ENV, check=True)
    return path


def same_rows(path: Path) -> None:
    ours = subprocess.run(
        [sys.executable, "-m", "webhook_desk", "--db", f"sqlite:///{path}", "history"]
        + ["--limit", "100", "--json"],
        env=ENV,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    bare = subprocess.run(
        [sys.executable, "-c", BARE_HISTORY, str(path)],
        env=ENV,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    differ = [(o, b) for o, b in zip(json.loads(ours), json.loads(bare), strict=True) if o != b]
    assert not differ, f"the bare script printed other rows, first: {differ[0]}"


def line(name: str, ours: float, base_name: str, base: float, goal: str) -> bool:
    ratio = ours / base
    met = ratio <= GOAL_RATIO
    print(
        f"{name:<44} {ours * 1000:7.0f} ms   {base_name:<28} {base * 1000:6.0f} ms   "
        f"{ratio:5.2f}x  ({goal}: {'met' if met else 'NOT met'})"
    )
    return met


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--deliveries", type=int, default=1_000_000)
    parser.add_argument("--db", type=Path, help="an existing demo database file to reuse")
    args = parser.parse_args()
    runs = max(args.runs, 5)
    directory = Path(tempfile.mkdtemp(prefix="webhook-desk-startup-"))
    path = args.db or make_demo(directory, args.deliveries)
    url = f"sqlite:///{path}"
    ENV["XDG_DATA_HOME"] = str(directory / "data")  # no statements kept yet
    settings = str(directory / "settings")
    py, desk = [sys.executable], [sys.executable, "-m", "webhook_desk"]
    history_argv = [*desk, "--db", url, "history", "--limit", "100", "--json"]
    wall([*py, "-c", BARE_HISTORY, str(path)])  # the file's pages into the disk cache
    history_first = wall(history_argv)
    window_first = reported(OUR_WINDOW, url, settings, "deferred")
    same_rows(path)

    passes = median_of(runs, lambda: wall([*py, "-c", "pass"]))
    version = median_of(runs, lambda: wall([*desk, "--version"]))
    bare_history = median_of(runs, lambda: wall([*py, "-c", BARE_HISTORY, str(path)]))
    history = median_of(runs, lambda: wall(history_argv))
    bare_window = median_of(runs, lambda: reported(BARE_WINDOW)["shown"])
    deferred = [reported(OUR_WINDOW, url, settings, "deferred") for _ in range(runs)]
    shown = statistics.median(r["shown"] for r in deferred)
    rest = statistics.median(r["rest"] for r in deferred)
    early = any(r["sqlalchemy_before_paint"] for r in deferred)
    full = median_of(runs, lambda: reported(OUR_WINDOW, url, settings, "full")["shown"])

    print(f"medians of {runs} fresh processes each; demo database {path}")
    ok = line("webhook-desk --version", version, "python -c pass", passes, "3x")
    ok &= line("history --limit 100 --json", history, "bare sqlite3 + json", bare_history, "3x")
    fast = history < HISTORY_GOAL_S
    print(f"{'':44} history under {HISTORY_GOAL_S} s: {'met' if fast else 'NOT met'}")
    print(f"{'  its first run (compiles, keeps the SQL)':<44} {history_first * 1000:7.0f} ms")
    ok &= line("window shown, Registrations painted", shown, "bare QMainWindow", bare_window, "3x")
    print(f"{'  then the other tabs, engine, receiver':<44} {rest * 1000:7.0f} ms")
    first = window_first["shown"]
    print(f"{'  its first start (compiles, keeps the SQL)':<44} {first * 1000:7.0f} ms")
    print(f"{'':44} SQLAlchemy imported before the paint: {'yes' if early else 'no'}")
    print(
        f"{'  a full (not deferred) build, painted':<44} {full * 1000:7.0f} ms   "
        f"{full / bare_window:5.2f}x the bare window"
    )
    return 0 if ok and fast else 1


if __name__ == "__main__":
    sys.exit(main())
