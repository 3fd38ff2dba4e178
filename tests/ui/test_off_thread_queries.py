"""No query runs on the GUI thread: filtering, reading a delivery, the charts, and opening
the Add, Edit and Fire dialogs all read the database in the job pool (ui.jobs.run_query)."""

import threading

import pytest
from PySide6.QtCore import Qt

from webhook_desk.db import Database
from webhook_desk.services import demo


@pytest.fixture
def gui_thread_sessions(monkeypatch):
    """Where each session opened on the GUI thread was asked for."""
    import traceback

    gui, found = threading.get_ident(), []
    original = Database.session

    def watched(self, *args, **kwargs):
        if threading.get_ident() == gui:
            found.append("".join(traceback.format_stack(limit=4)[:-1]))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Database, "session", watched)
    return found


def test_history_registrations_and_events_read_off_the_gui_thread(
    window, qtbot, context, gui_thread_sessions
):
    with context.db.session() as session:  # the test's own setup may use this thread
        demo.load_demo(session, context.store, deliveries=300, seed=6)
    gui_thread_sessions.clear()
    context.registrations_changed.emit()  # as loading the demo from the menu does

    history = window.history_tab
    window.tabs.setCurrentWidget(history)
    history.refresh()
    qtbot.waitUntil(lambda: not history.model.loading and history.model.rowCount() == 300)
    history.filters.status.setCurrentIndex(history.filters.status.findData("failed"))
    qtbot.mouseClick(history.filters.apply_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not history.model.loading and history.model.rowCount() < 300)
    history.table.selectRow(0)
    qtbot.waitUntil(lambda: history.panel.record is not None)
    history.side.setCurrentWidget(history.charts)
    qtbot.waitUntil(lambda: not history.charts.busy and history.charts.data is not None)

    registrations = window.registrations_tab
    window.tabs.setCurrentWidget(registrations)
    qtbot.waitUntil(lambda: registrations.model.rowCount() > 0)
    registrations.actions_by_name["add"].trigger()
    qtbot.waitUntil(lambda: registrations.dialog is not None)
    assert registrations.dialog.events_list.count() > 0
    registrations.dialog.reject()

    events = window.events_tab
    window.tabs.setCurrentWidget(events)
    qtbot.waitUntil(lambda: events.tree.topLevelItemCount() > 0)
    events.select_event("upload")
    events.fire_action.trigger()
    qtbot.waitUntil(lambda: events.fire_dialog is not None)
    events.fire_dialog.reject()

    assert gui_thread_sessions == []
