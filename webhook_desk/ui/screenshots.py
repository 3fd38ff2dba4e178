"""Render every tab with demo data to PNG for the README: `python -m webhook_desk.ui.screenshots
OUTDIR` (default resources/screenshots).

It works on a throwaway SQLite database and an in-memory keyring, so it never touches the
user's data or secrets; the engine and the receiver run for real, so the Receiver tab shows
requests that really arrived, with their signature verdicts.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import keyring  # noqa: E402
from PySide6.QtCore import QSettings, Qt  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from webhook_desk.services import demo, firing, registrations  # noqa: E402
from webhook_desk.settings import resources_dir  # noqa: E402
from webhook_desk.throwaway_keyring import ThrowawayKeyring  # noqa: E402
from webhook_desk.ui.app import make_application, open_database  # noqa: E402
from webhook_desk.ui.context import AppContext  # noqa: E402
from webhook_desk.ui.jobs import wait_for_jobs  # noqa: E402
from webhook_desk.vocabulary import AuthType

SIZE = (1280, 800)
DEMO_DELIVERIES = 3000
SETTLE_S = 30.0


def settle(app: QApplication, done, seconds: float = SETTLE_S) -> bool:
    """Let the event loop run until `done()` or the deadline."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        app.processEvents()
        wait_for_jobs(50)
        app.processEvents()
        if done():
            return True
        time.sleep(0.05)
    return False


def pause(app: QApplication, seconds: float) -> None:
    """Run the event loop for a while: answers from background jobs land, layouts settle."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        wait_for_jobs(50)
        app.processEvents()


def save(widget, path: Path) -> None:
    widget.grab().save(str(path))
    print(f"wrote {path}")


def stage(window, app) -> None:
    """Demo data, the receiver on its usual port, and a few events really delivered to it."""
    context = window.context
    with context.db.session() as session:
        demo.load_demo(session, context.store, deliveries=DEMO_DELIVERIES)
    try:
        context.receiver.start()
    except Exception:  # the usual port is taken on this machine: any port shows the same
        context.receiver.start(port=0)
    context.registrations_changed.emit()
    context.engine.start()
    with context.db.session() as session:
        local = next(
            r for r in registrations.list_all(session) if r.url.startswith("http://127.0.0.1")
        )
        for code in ("upload", "raw_processing_complete", "data_retrieval_complete"):
            firing.fire(session, code, to_registration=local.id)
        firing.fire(session, "upload", url=context.receiver.url + "hooks/ad-hoc", count=2)
    receiver_tab = window.receiver_tab
    settle(app, lambda: len(receiver_tab.model.rows) >= 6)
    context.deliveries_changed.emit()


def shoot(out: Path) -> int:
    out.mkdir(parents=True, exist_ok=True)
    keyring.set_keyring(ThrowawayKeyring())
    app = make_application()
    workdir = Path(tempfile.mkdtemp(prefix="webhook-desk-shots-"))
    db = open_database(f"sqlite:///{workdir / 'demo.sqlite3'}")
    from webhook_desk.ui.main_window import MainWindow

    window = MainWindow(
        AppContext(db), QSettings(str(workdir / "ui.ini"), QSettings.Format.IniFormat)
    )
    window.resize(*SIZE)
    window.show()
    stage(window, app)
    tabs = window.tabs

    regs = window.registrations_tab
    tabs.setCurrentWidget(regs)
    settle(app, lambda: regs.model.rowCount() > 0)
    regs.select(min(r["id"] for r in regs.model.rows))
    pause(app, 0.5)
    save(window, out / "registrations.png")

    events = window.events_tab
    tabs.setCurrentWidget(events)
    events.select_event("upload")
    events.samples.setCurrentText("completed")
    pause(app, 0.3)
    save(window, out / "events.png")
    events.open_fire_dialog()
    settle(app, lambda: events.fire_dialog is not None)  # its targets are read off-thread
    events.fire_dialog.samples.setCurrentText("completed")
    events.fire_dialog.to_registrations.setChecked(True)  # the list in use, not greyed out
    events.fire_dialog.registrations.item(0).setCheckState(Qt.CheckState.Checked)
    pause(app, 0.5)
    save(events.fire_dialog, out / "fire-dialog.png")
    events.fire_dialog.reject()

    history = window.history_tab
    tabs.setCurrentWidget(history)
    history.refresh()
    settle(app, lambda: not history.model.loading and history.model.rowCount() > 0)
    row = next((i for i, r in enumerate(history.model.rows) if r["attempts"] >= 3), 0)
    history.table.selectRow(row)
    settle(app, lambda: history.panel.attempts.count() > 0)
    pause(app, 0.3)
    save(window, out / "history.png")

    receiver = window.receiver_tab
    tabs.setCurrentWidget(receiver)
    row = next((i for i, r in enumerate(receiver.model.rows) if r["event"] == "upload"), 0)
    receiver.table.selectRow(row)
    pause(app, 0.5)
    save(window, out / "receiver.png")

    regs_dialog_tab = window.registrations_tab
    tabs.setCurrentWidget(regs_dialog_tab)
    regs_dialog_tab.add()
    settle(app, lambda: regs_dialog_tab.dialog is not None)
    dialog = regs_dialog_tab.dialog
    dialog.name.setText("Sleep lab data hub")
    dialog.owner_id.setText("189")
    dialog.url.setText("https://hooks.sleeplab.example.org/centrepoint")
    for i in range(dialog.events_list.count()):  # a filled-in form that could be saved
        item = dialog.events_list.item(i)
        if item.data(Qt.ItemDataRole.UserRole) in ("upload", "raw_processing_complete"):
            item.setCheckState(Qt.CheckState.Checked)
    dialog.auth_type.setCurrentIndex(dialog.auth_type.findData(AuthType.HMAC))
    pause(app, 0.5)
    save(dialog, out / "registration-dialog.png")
    dialog.reject()

    window.shutdown()
    db.dispose()
    return 0


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    out = Path(args[0]) if args else resources_dir() / "screenshots"
    return shoot(out)


if __name__ == "__main__":
    sys.exit(main())
