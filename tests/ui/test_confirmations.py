"""Confirming a change with the keyboard: Enter does the action, Escape cancels."""

from PySide6.QtCore import Qt

from tests.ui.test_registrations_tab import one_registration_selected, table_texts
from webhook_desk.services import audit, registrations


def disable_with_reason(window, qtbot, context, reason: str, key: Qt.Key):
    """Select the one registration, choose Disable, type a reason and press `key`."""
    tab, reg_id = one_registration_selected(window, qtbot, context)
    tab.actions_by_name["disable"].trigger()
    dialog = tab.reason_dialog
    qtbot.waitUntil(dialog.isVisible)
    qtbot.keyClicks(dialog.reason, reason)
    qtbot.keyClick(dialog.reason, key)
    return tab, dialog, reg_id


def test_enter_in_the_reason_field_does_the_action(window, qtbot, context):
    tab, _, _ = disable_with_reason(window, qtbot, context, "receiver moved", Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: table_texts(tab)[0][2] == "disabled")
    with context.db.session() as session:
        assert audit.entries(session, limit=1)[0].reason == "receiver moved"


def test_escape_cancels_and_changes_nothing(window, qtbot, context):
    _, dialog, reg_id = disable_with_reason(window, qtbot, context, "not now", Qt.Key.Key_Escape)
    assert not dialog.isVisible()
    with context.db.session() as session:
        assert registrations.get(session, reg_id).status == "enabled"
