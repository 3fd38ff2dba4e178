"""Time to the first shown main window, beside a bare PySide6 QMainWindow, in the same run.

Each start is a fresh interpreter (as a user's launch is), timed from spawn to the window
being shown and painted once; the median of several starts is reported. Our start opens a
migrated SQLite database holding demo data, checks the catalog, builds all four tabs and
shows the window. Goal (issue 7): within 2x of the bare window.

    .venv/bin/python benchmarks/startup.py [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOAL_RATIO = 2.0

BARE = """
from PySide6.QtWidgets import QApplication, QMainWindow
app = QApplication([])
window = QMainWindow()
window.resize(1280, 800)
window.show()
app.processEvents()
"""

OURS = """
import sys, time
spawned = float(sys.argv[3])
from PySide6.QtCore import QSettings
QSettings.setDefaultFormat(QSettings.Format.IniFormat)
QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, sys.argv[2])
from webhook_desk.ui.app import make_application, open_window, show_splash
app = make_application()
splash = show_splash(app)
print("splash", time.time() - spawned)
window = open_window(sys.argv[1], splash)
window.resize(1280, 800)
app.processEvents()
print("window", time.time() - spawned)
window.shutdown()
"""


def timed(code: str, *args: str) -> float:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT)}
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-c", code, *args],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return time.perf_counter() - started


def ours(url: str, settings_dir: str) -> dict[str, float]:
    """Seconds from spawn to the splash and to the main window, as the child reports them."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "-c", OURS, url, settings_dir, repr(time.time())],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return {name: float(value) for name, value in (line.split() for line in out.splitlines())}


def prepare(directory: Path) -> str:
    """A migrated database with demo data, as a returning user has."""
    url = f"sqlite:///{directory / 'startup.sqlite3'}"
    code = (
        "import sys, keyring\n"
        "from webhook_desk.ui.screenshots import ThrowawayKeyring\n"
        "keyring.set_keyring(ThrowawayKeyring())\n"
        "from webhook_desk.ui.app import open_database\n"
        "from webhook_desk import demo\n"
        "from webhook_desk.secrets import SecretStore\n"
        "db = open_database(sys.argv[1])\n"
        "with db.session() as s: demo.load_demo(s, SecretStore(), deliveries=10000)\n"
    )
    timed(code, url)
    return url


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    directory = Path(tempfile.mkdtemp(prefix="webhook-desk-startup-"))
    url = prepare(directory)
    settings_dir = str(directory / "settings")
    timed(BARE)  # warm the disk cache for both, so neither pays for the first read
    ours(url, settings_dir)
    bare = statistics.median(timed(BARE) for _ in range(args.runs))
    runs = [ours(url, settings_dir) for _ in range(args.runs)]
    splash = statistics.median(r["splash"] for r in runs)
    window = statistics.median(r["window"] for r in runs)
    print(f"bare QMainWindow shown       median {bare * 1000:6.0f} ms  ({args.runs} starts)")
    print(f"webhook-desk splash shown    median {splash * 1000:6.0f} ms  {splash / bare:.2f}x")
    print(f"webhook-desk window shown    median {window * 1000:6.0f} ms  {window / bare:.2f}x")
    ratio = splash / bare
    print(f"first window within {GOAL_RATIO:g}x: {'met' if ratio <= GOAL_RATIO else 'NOT met'}")
    return 0 if ratio <= GOAL_RATIO else 1


if __name__ == "__main__":
    sys.exit(main())
