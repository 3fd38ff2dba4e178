"""Confirming a change with the keyboard: Enter does the action, Escape cancels."""

from PySide6.QtCore import Qt

from tests.ui.test_registrations_tab import add_registration, table_texts, wait_for_rows
from webhook_desk.services import audit


def selected_tab(window, qtbot, context, **fields):
    reg_id = add_registration(context, **fields)
    tab = window.registrations_tab
    tab.refresh()
    wait_for_rows(tab, qtbot, 1)
    tab.table.selectRow(0)
    return tab, reg_id


def test_enter_in_the_reason_field_does_the_action(window, qtbot, context):
    tab, reg_id = selected_tab(window, qtbot, context)
    tab.actions_by_name["disable"].trigger()
    dialog = tab.reason_dialog
    qtbot.waitUntil(dialog.isVisible)
    qtbot.keyClicks(dialog.reason, "receiver moved")
    qtbot.keyClick(dialog.reason, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: table_texts(tab)[0][2] == "disabled")
    with context.db.session() as session:
        assert audit.entries(session, limit=1)[0].reason == "receiver moved"


def test_escape_cancels_and_changes_nothing(window, qtbot, context):
    tab, _ = selected_tab(window, qtbot, context)
    tab.actions_by_name["disable"].trigger()
    dialog = tab.reason_dialog
    qtbot.waitUntil(dialog.isVisible)
    qtbot.keyClicks(dialog.reason, "not now")
    qtbot.keyClick(dialog.reason, Qt.Key.Key_Escape)
    assert not dialog.isVisible()
    tab.refresh()
    qtbot.wait(100)
    assert table_texts(tab)[0][2] == "enabled"
