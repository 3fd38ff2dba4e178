"""The History tab's detail panel follows the selected delivery live: a new attempt shows
without clicking the row again, and a delivery that leaves the list leaves the panel."""

import pytest
from PySide6.QtCore import Qt
from recording_server import RecordingServer, Reply

from webhook_desk.engine.sender import Timeouts
from webhook_desk.engine.worker import Engine
from webhook_desk.services import demo, firing


@pytest.fixture
def failing_target():
    with RecordingServer(lambda r: Reply(500)) as server:
        yield server


def attempt_lines(panel) -> list[str]:
    return [panel.attempts.item(i).text() for i in range(panel.attempts.count())]


def click_row(qtbot, table, row: int) -> None:
    centre = table.visualRect(table.model().index(row, 1)).center()
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=centre)


def send_next_attempt(qtbot, engine) -> None:
    """Run the engine until the next retry (due a second after the last) has been sent."""
    sent = engine.summary.sent  # counts every run of this engine
    qtbot.waitUntil(lambda: engine.run_until_idle().sent == sent + 1, timeout=10_000)


def test_a_new_attempt_shows_in_the_detail_after_f5(
    show_history, window, qtbot, context, failing_target
):
    with context.db.session() as session:
        firing.fire(session, "upload", url=failing_target.url())
    engine = Engine(context.db, context.store, timeouts=Timeouts(1, 2), default_schedule="1s,1s")
    send_next_attempt(qtbot, engine)
    tab = show_history()
    click_row(qtbot, tab.table, 0)
    qtbot.waitUntil(lambda: tab.panel.attempts.count() == 1)
    assert "next try" in tab.panel.summary.text()

    send_next_attempt(qtbot, engine)  # the retry fails too: attempt #2
    window.activateWindow()
    qtbot.waitActive(window)
    qtbot.keyClick(tab.table, Qt.Key.Key_F5)
    qtbot.waitUntil(lambda: tab.panel.attempts.count() == 2)
    assert attempt_lines(tab.panel)[1].startswith("#2")
    assert tab.panel.attempts.currentRow() == 1  # the newest attempt in view

    send_next_attempt(qtbot, engine)  # the last retry: the delivery has failed for good
    context.deliveries_changed.emit()  # what the engine's news does while it runs
    qtbot.waitUntil(lambda: tab.panel.attempts.count() == 3)
    assert "<b>failed</b>" in tab.panel.summary.text()
    assert "next try" not in tab.panel.summary.text()


def choose_status(qtbot, tab, status: str) -> None:
    tab.filters.status.setCurrentIndex(tab.filters.status.findData(status))
    qtbot.mouseClick(tab.filters.apply_button, Qt.MouseButton.LeftButton)


def test_the_detail_keeps_a_delivery_the_filter_keeps_and_drops_one_it_drops(
    show_history, window, qtbot, context
):
    with context.db.session() as session:
        demo.load_demo(session, context.store, deliveries=200, seed=2)
    tab = show_history()
    chosen = next(r for r in tab.model.rows[:50] if r["status"] == "failed")
    click_row(qtbot, tab.table, tab.model.row_of(chosen["id"]))
    qtbot.waitUntil(lambda: tab.panel.record is not None)

    choose_status(qtbot, tab, "failed")
    qtbot.waitUntil(lambda: not tab.model.loading and tab.selected_id() == chosen["id"])
    assert tab.panel.record["id"] == chosen["id"]
    assert tab.resend_action.isEnabled()

    choose_status(qtbot, tab, "succeeded")
    qtbot.waitUntil(lambda: not tab.model.loading and tab.panel.record is None)
    assert tab.panel.summary.text() == "Select a delivery to see its attempts."
    assert tab.selected_id() is None
    assert not tab.resend_action.isEnabled()


def test_clearing_the_selection_empties_the_detail_and_disables_resend(
    show_history, window, qtbot, context
):
    with context.db.session() as session:
        demo.load_demo(session, context.store, deliveries=50, seed=2)
    tab = show_history()
    tab.table.selectRow(3)
    qtbot.waitUntil(lambda: tab.panel.record is not None)
    tab.table.clearSelection()
    assert tab.panel.record is None
    assert not tab.resend_action.isEnabled()
