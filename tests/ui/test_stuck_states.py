"""Every stopped or stuck state says why and what to do, where the user is looking."""

import sqlite3

from PySide6.QtCore import Qt

import webhook_desk.db.database as database
from tests.ui.test_registrations_tab import add_registration, table_texts, wait_for_rows
from webhook_desk.services import firing


def test_an_engine_that_dies_on_a_locked_database_says_so(window, qtbot, context, monkeypatch):
    monkeypatch.setattr(database, "SQLITE_BUSY_TIMEOUT_MS", 200)  # fail fast, not in 5 s
    context.db.engine.dispose()  # new connections take the short timeout
    holder = sqlite3.connect(context.db.engine.url.database, timeout=0)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        window.engine_start_action.trigger()
        label = window.status.engine_label
        qtbot.waitUntil(lambda: label.text() == "Engine: stopped on an error", timeout=10_000)
    finally:
        holder.rollback()
        holder.close()
    assert "is locked by another program" in label.toolTip()
    assert "Start delivering" in label.toolTip()
    box = window.status.failure_box
    assert box.isVisible()
    assert box.text().startswith("Delivering stopped. The database")
    assert window.engine_start_action.isEnabled()
    box.accept()
    window.engine_start_action.trigger()  # the lock is gone: it starts again
    qtbot.waitUntil(lambda: label.text() == "Engine: running")


def receiver_registration(window, qtbot, context, fail_validation=False):
    receiver = window.receiver_tab
    receiver.port.setValue(0)
    receiver.fail_validation.setChecked(fail_validation)
    qtbot.mouseClick(receiver.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: receiver.url.text() != "")
    reg_id = add_registration(context, url=receiver.url.text() + "hooks/1064", is_development=True)
    tab = window.registrations_tab
    tab.refresh()
    wait_for_rows(tab, qtbot, 1)
    tab.table.selectRow(0)
    tab.actions_by_name["validate"].trigger()
    expected = "failed" if fail_validation else "validated"
    qtbot.waitUntil(lambda: table_texts(tab)[0][3] == expected, timeout=10_000)
    return tab, reg_id


def test_a_delivery_held_back_by_a_failed_validation_says_so(window, qtbot, context):
    tab, reg_id = receiver_registration(window, qtbot, context, fail_validation=True)
    assert "held back until it passes validation" in tab.detail.advice.text()
    assert tab.detail.advice.isVisible()
    with context.db.session() as session:
        firing.fire(session, "upload", to_registration=reg_id)
    history = window.history_tab
    window.tabs.setCurrentWidget(history)
    history.refresh()
    qtbot.waitUntil(lambda: not history.model.loading and history.model.rowCount() > 0)
    events = [r["event"] for r in history.model.rows]
    history.table.selectRow(events.index("upload"))  # the handshake is listed too
    qtbot.waitUntil(lambda: history.panel.record is not None)
    summary = history.panel.summary.text()
    assert "failed validation (The endpoint answered 200 but did not echo" in summary
    assert "validate the registration again" in summary


def test_editing_the_url_says_validation_must_run_again_and_offers_it(window, qtbot, context):
    tab, reg_id = receiver_registration(window, qtbot, context)
    assert tab.detail.advice.text() == ""
    tab.actions_by_name["edit"].trigger()
    qtbot.waitUntil(lambda: tab.dialog is not None)  # its event list is read first
    dialog = tab.dialog
    dialog.url.setText(window.receiver_tab.url.text() + "hooks/moved")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: getattr(tab, "validate_box", None) is not None)
    box = tab.validate_box
    assert "must pass the validation handshake again" in box.text()
    qtbot.waitUntil(lambda: table_texts(tab)[0][3] == "pending")
    now = next(b for b in box.buttons() if b.text() == "Validate now")
    qtbot.mouseClick(now, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: table_texts(tab)[0][3] == "validated", timeout=10_000)


def test_a_paused_engine_says_how_to_resume(window, qtbot):
    window.engine_start_action.trigger()
    label = window.status.engine_label
    qtbot.waitUntil(lambda: label.text() == "Engine: running")
    window.engine_pause_action.trigger()
    qtbot.waitUntil(lambda: label.text() == "Engine: paused — Ctrl+P resumes")
