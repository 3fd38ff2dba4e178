"""Render every tab with demo data to PNG for the README: `python -m webhook_desk.ui.screenshots
OUTDIR` (default: the checkout's resources/screenshots): each tab at 1024x700 (the smallest
window the layout is made for) and 1600x1000, in a light and a dark palette, plus the main
dialogs.

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
from webhook_desk.throwaway_keyring import ThrowawayKeyring  # noqa: E402
from webhook_desk.ui.app import make_application  # noqa: E402
from webhook_desk.ui.colours import dark_palette  # noqa: E402
from webhook_desk.ui.context import (
    AppContext,  # noqa: E402
    open_database,  # noqa: E402
)
from webhook_desk.ui.jobs import wait_for_jobs  # noqa: E402
from webhook_desk.ui.main_window import MainWindow
from webhook_desk.vocabulary import AuthType

SIZES = ((1024, 700), (1600, 1000))
PALETTES = ("light", "dark")
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
        context.store.throwaway_hmac(create=True)  # as the Fire dialog signs by default
        context.receiver.refresh_secrets()
        adhoc = context.receiver.url + "hooks/ad-hoc"
        firing.fire(session, "upload", url=adhoc, count=2, sign_throwaway=True)
    receiver_tab = window.receiver_tab
    settle(app, lambda: len(receiver_tab.model.rows) >= 6)
    context.deliveries_changed.emit()


def shoot(out: Path) -> int:
    out.mkdir(parents=True, exist_ok=True)
    keyring.set_keyring(ThrowawayKeyring())
    app = make_application()
    app.setStyle("Fusion")  # the same look on every machine, and it follows the palette
    for palette in PALETTES:
        app.setPalette(dark_palette() if palette == "dark" else app.style().standardPalette())
        shoot_palette(app, out, palette)
    return 0


def shoot_palette(app: QApplication, out: Path, palette: str) -> None:
    """A fresh window in the palette (colours are chosen as widgets are built), every tab at
    every size, then the dialogs."""
    workdir = Path(tempfile.mkdtemp(prefix="webhook-desk-shots-"))
    db = open_database(f"sqlite:///{workdir / 'demo.sqlite3'}")
    window = MainWindow(
        AppContext(db), QSettings(str(workdir / "ui.ini"), QSettings.Format.IniFormat)
    )
    window.show()
    window.resize(*SIZES[-1])  # after show: the offscreen screen is smaller than this
    stage(window, app)
    prepare_tabs(window, app)
    for width, height in SIZES:
        window.resize(width, height)
        for name, tab in (
            ("registrations", window.registrations_tab),
            ("events", window.events_tab),
            ("history", window.history_tab),
            ("receiver", window.receiver_tab),
        ):
            window.tabs.setCurrentWidget(tab)
            pause(app, 0.4)
            save(window, out / f"{name}-{width}x{height}-{palette}.png")
    shoot_dialogs(window, app, out, palette)
    window.shutdown()
    db.dispose()


def prepare_tabs(window, app: QApplication) -> None:
    """Each tab with something selected, as a user would have it."""
    regs = window.registrations_tab
    settle(app, lambda: regs.model.rowCount() > 0)
    regs.select(min(r["id"] for r in regs.model.rows))
    events = window.events_tab
    settle(app, lambda: events.tree.topLevelItemCount() > 0)
    events.select_event("upload")
    events.samples.setCurrentText("completed")
    history = window.history_tab
    history.refresh()
    settle(app, lambda: not history.model.loading and history.model.rowCount() > 0)
    row = next((i for i, r in enumerate(history.model.rows) if r["attempts"] >= 3), 0)
    history.table.selectRow(row)
    settle(app, lambda: history.panel.attempts.count() > 0)
    receiver = window.receiver_tab
    row = next((i for i, r in enumerate(receiver.model.rows) if r["event"] == "upload"), 0)
    receiver.table.selectRow(row)


def shoot_dialogs(window, app: QApplication, out: Path, palette: str) -> None:
    events = window.events_tab
    window.tabs.setCurrentWidget(events)
    before = events.fire_dialog
    events.open_fire_dialog()
    settle(app, lambda: events.fire_dialog is not before)  # its targets are read off-thread
    fire = events.fire_dialog
    fire.samples.setCurrentText("completed")
    fire.to_registrations.setChecked(True)  # the list in use, not greyed out
    fire.registrations.item(0).setCheckState(Qt.CheckState.Checked)
    pause(app, 0.5)
    save(fire, out / f"fire-dialog-{palette}.png")
    fire.done(0)

    regs = window.registrations_tab
    window.tabs.setCurrentWidget(regs)
    before = regs.dialog
    regs.add()
    settle(app, lambda: regs.dialog is not before)  # its event list is read off-thread
    dialog = regs.dialog
    dialog.name.setText("Sleep lab data hub")
    dialog.owner_id.setText("189")
    dialog.url.setText("https://hooks.sleeplab.example.org/centrepoint")
    for i in range(dialog.events_list.count()):  # a filled-in form that could be saved
        item = dialog.events_list.item(i)
        if item.data(Qt.ItemDataRole.UserRole) in ("upload", "raw_processing_complete"):
            item.setCheckState(Qt.CheckState.Checked)
    dialog.auth_type.setCurrentIndex(dialog.auth_type.findData(AuthType.HMAC))
    pause(app, 0.5)
    save(dialog, out / f"registration-dialog-{palette}.png")
    dialog.done(0)  # not reject(): that would ask whether to discard the typing
    shoot_history_dialogs(window, app, out, palette)
    shoot_data_dialogs(window, app, out, palette)
    shoot_hosted_dialogs(window, app, out, palette)


def shoot_history_dialogs(window, app: QApplication, out: Path, palette: str) -> None:
    """Compare two deliveries, and Edit and resend one."""
    from webhook_desk.ui.dialogs.compare_dialog import CompareDialog

    history = window.history_tab
    window.tabs.setCurrentWidget(history)
    uploads = [r["id"] for r in history.model.rows if r["event"] == "upload"][:2]
    compare = CompareDialog(window.context, str(min(uploads)), str(max(uploads)), window)
    compare.show()
    settle(app, lambda: compare.comparison is not None)
    pause(app, 0.4)
    save(compare, out / f"compare-dialog-{palette}.png")
    compare.done(0)
    history.table.selectRow(
        next(i for i, r in enumerate(history.model.rows) if r["id"] == uploads[0])
    )
    history.edit_and_resend()
    settle(app, lambda: history.edit_resend_dialog is not None)
    edit = history.edit_resend_dialog
    edit.headers.setPlainText("X-Test-Case: 42")
    edit.reason.setText("receiver rejected the subject id")
    pause(app, 0.5)
    save(edit, out / f"edit-resend-dialog-{palette}.png")
    edit.done(0)


def shoot_data_dialogs(window, app: QApplication, out: Path, palette: str) -> None:
    """The audit trail, an endpoint check that ran, and retention."""
    window.open_audit()
    audit_view = window.audit_dialog
    settle(app, lambda: audit_view.table.rowCount() > 0 and "Chain" in audit_view.chain.text())
    audit_view.table.selectRow(0)
    pause(app, 0.3)
    save(audit_view, out / f"audit-dialog-{palette}.png")
    audit_view.done(0)
    regs = window.registrations_tab
    window.tabs.setCurrentWidget(regs)
    local = next(r for r in regs.model.rows if r["url"].startswith("http://127.0.0.1"))
    regs.select(local["id"])
    regs.check_endpoint()
    check = regs.check_dialog
    check.start()
    settle(app, lambda: check.finished_run is not None, seconds=120)
    pause(app, 0.3)
    save(check, out / f"endpoint-check-dialog-{palette}.png")
    check.done(0)
    window.open_retention()
    retention = window.retention_dialog
    retention.payload_days.setValue(90)
    retention.metadata_days.setValue(365)
    pause(app, 0.5)
    save(retention, out / f"retention-dialog-{palette}.png")
    retention.done(0)


def shoot_hosted_dialogs(window, app: QApplication, out: Path, palette: str) -> None:
    """Settings (with the hosted modules' refresh) and a conflict with the ECG module's copy."""
    from webhook_desk.platform.ecg_writes import FieldConflict, ModuleConflict
    from webhook_desk.ui.dialogs.conflict_dialog import ConflictDialog

    window.open_settings()
    settings = window.settings_dialog
    pause(app, 0.5)
    save(settings, out / f"settings-dialog-{palette}.png")
    settings.done(0)
    vitals, phone = "vitals.observations.created", "phone.logs.created"
    fields = [
        FieldConflict("events", mine=[vitals, phone], theirs=[phone], last_read=[vitals]),
        FieldConflict("is_development", mine=False, theirs=True, last_read=True),
    ]
    conflict = ModuleConflict("", 7, fields, {"events": [vitals, phone]})
    dialog = ConflictDialog(conflict, window)
    dialog.show()
    pause(app, 0.5)
    save(dialog, out / f"conflict-dialog-{palette}.png")
    dialog.done(0)


# The README's pictures stay in the checkout, not in the package.
README_SCREENSHOTS = Path(__file__).resolve().parents[2] / "resources" / "screenshots"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    out = Path(args[0]) if args else README_SCREENSHOTS
    return shoot(out)


if __name__ == "__main__":
    sys.exit(main())
