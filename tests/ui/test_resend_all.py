"""Resend all matching, as an analyst does it: see how many would go, resend them with a
progress bar, or cancel midway and be told exactly how many were queued."""

import threading

from PySide6.QtCore import Qt
from sqlalchemy import func, select

from webhook_desk.db.models import Delivery
from webhook_desk.history.queries import Filters
from webhook_desk.services import demo, resend


def load_demo(context, deliveries: int):
    with context.db.session() as session:
        demo.load_demo(session, context.store, deliveries=deliveries)


def expected(context, filters: Filters) -> resend.BulkResend:
    with context.db.session() as session:
        return resend.resend_matching(session, filters, dry_run=True)


def resent_in_database(context) -> int:
    with context.db.session() as session:
        query = select(func.count()).where(Delivery.resent_from_id.is_not(None))
        return session.scalar(query)


def open_resend_all(window, qtbot, status: str):
    tab = window.history_tab
    window.tabs.setCurrentWidget(tab)
    tab.filters.status.setCurrentIndex(tab.filters.status.findData(status))
    qtbot.mouseClick(tab.filters.apply_button, Qt.MouseButton.LeftButton)
    tab.resend_all_action.trigger()
    dialog = tab.resend_all_dialog
    qtbot.waitUntil(lambda: dialog.action_button.isEnabled(), timeout=10_000)
    return tab, dialog


def test_resend_all_failed_shows_the_count_then_queues_them(window, qtbot, context):
    load_demo(context, 300)
    found = expected(context, Filters(status="failed"))
    sendable = found.matched - found.skipped
    tab, dialog = open_resend_all(window, qtbot, "failed")
    assert dialog.message.text().startswith(
        f"Resend {sendable:,} of the {found.matched:,} matching deliveries?"
    )
    assert resent_in_database(context) == 0  # the count alone queues nothing
    qtbot.mouseClick(dialog.action_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.running, timeout=10_000)
    assert dialog.message.text().startswith(f"{sendable:,} deliveries queued again")
    assert resent_in_database(context) == sendable
    assert not dialog.action_button.isEnabled()
    qtbot.waitUntil(lambda: window.statusBar().currentMessage() == dialog.message.text())


def test_cancel_midway_keeps_whole_batches_and_says_how_many(window, qtbot, context, monkeypatch):
    monkeypatch.setattr(resend, "CHUNK", 10)
    monkeypatch.setattr(resend, "PROGRESS_EVERY", 1)
    released = threading.Event()
    commit = resend._commit

    def commit_then_hold(session, pending):
        written = commit(session, pending)
        if written:  # hold after the first batch until the user has pressed Cancel
            released.wait(10)
        return written

    monkeypatch.setattr(resend, "_commit", commit_then_hold)
    load_demo(context, 300)
    tab, dialog = open_resend_all(window, qtbot, "failed")
    qtbot.mouseClick(dialog.action_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.message.text().startswith("Queued 0 of"), timeout=10_000)
    assert dialog.progress.isVisible()
    cancel = dialog.buttons.button(dialog.buttons.StandardButton.Cancel)
    qtbot.mouseClick(cancel, Qt.MouseButton.LeftButton)
    assert dialog.message.text() == "Cancelling…"
    released.set()
    qtbot.waitUntil(lambda: not dialog.running, timeout=10_000)
    assert dialog.message.text() == (
        "Cancelled: 10 deliveries were queued again, the rest were not."
    )
    assert resent_in_database(context) == 10
    assert cancel.text() == "Close"
