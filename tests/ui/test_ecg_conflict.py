"""A change the hosted ECG module (`webhook-desk serve` in its own process) made after the desk
read a subscription: the coordinator sees both versions side by side and chooses, and each
choice does what it says on both databases; Cancel changes neither."""

from ecg_module import PHONE, VITALS, mirror
from PySide6.QtCore import Qt
from test_ecg_mirror_gui import _edit_events
from test_registrations_tab import table_texts, wait_for_rows

from webhook_desk.platform.sync import keep_token
from webhook_desk.services import audit
from webhook_desk.ui.dialogs.conflict_dialog import ConflictDialog


def _conflict(ecg, window, qtbot, context):
    """The module's events become PHONE alone; the coordinator, who read VITALS, adds PHONE."""
    org, remote, reg_id = mirror(ecg, context.db)
    keep_token(context.store, ecg.url, ecg.token)
    ecg.patch(org, remote, [{"op": "replace", "path": "/events", "value": [PHONE]}])
    tab, edit = _edit_events(window, qtbot, PHONE, "phone logs too")
    qtbot.waitUntil(lambda: edit.findChild(ConflictDialog) is not None)
    return remote, tab, edit, edit.findChild(ConflictDialog)


def _texts(dialog) -> list[list[str]]:
    table = dialog.table
    return [
        [table.item(r, c).text() for c in range(table.columnCount())]
        for r in range(table.rowCount())
    ]


def _highlighted(dialog) -> list[str]:
    table = dialog.table
    return [
        table.horizontalHeaderItem(c).text()
        for c in range(table.columnCount())
        if table.item(0, c).font().bold()
    ]


def _last_action(context) -> tuple[str, str]:
    with context.db.session() as session:
        entry = audit.entries(session, limit=1)[0]
        return entry.action, entry.reason


def test_a_change_made_on_the_module_meanwhile_shows_both_versions(ecg, window, qtbot, context):
    remote, tab, edit, dialog = _conflict(ecg, window, qtbot, context)

    assert dialog.isVisible() and dialog.windowTitle() == "Changed on the ECG module"
    assert _texts(dialog) == [["Events", VITALS, f"{PHONE}\n{VITALS}", PHONE]]
    assert _highlighted(dialog) == ["Mine", "The module's now"]
    buttons = {b.text() for b in dialog.buttons.buttons()}
    assert buttons == {"Keep mine", "Take the module's", "Cancel"}


def test_keep_mine_sends_the_change_again_over_the_modules_version(ecg, window, qtbot, context):
    remote, tab, edit, dialog = _conflict(ecg, window, qtbot, context)

    qtbot.mouseClick(dialog.keep_button, Qt.MouseButton.LeftButton)

    qtbot.waitUntil(lambda: not edit.isVisible())
    assert sorted(ecg.registration(remote)["events"]) == [PHONE, VITALS]
    qtbot.waitUntil(lambda: table_texts(tab)[0][-1] == f"{PHONE}, {VITALS}")
    action, reason = _last_action(context)
    assert action == "registration.update" and reason.startswith("phone logs too")


def test_take_the_modules_updates_the_desk_and_sends_nothing(ecg, window, qtbot, context):
    remote, tab, edit, dialog = _conflict(ecg, window, qtbot, context)

    qtbot.mouseClick(dialog.take_button, Qt.MouseButton.LeftButton)

    qtbot.waitUntil(lambda: not edit.isVisible())
    assert ecg.registration(remote)["events"] == [PHONE]
    qtbot.waitUntil(lambda: table_texts(tab)[0][-1] == PHONE)
    action, reason = _last_action(context)
    assert action == "registration.mirror-update" and "took the ECG module's version" in reason


def test_cancel_changes_neither_side_and_says_so(ecg, window, qtbot, context):
    remote, tab, edit, dialog = _conflict(ecg, window, qtbot, context)

    qtbot.mouseClick(
        dialog.buttons.button(dialog.buttons.StandardButton.Cancel), Qt.MouseButton.LeftButton
    )

    assert edit.isVisible() and "changed on the ECG module" in edit.error_label.text()
    assert ecg.registration(remote)["events"] == [PHONE]
    assert table_texts(tab)[0][-1] == VITALS  # the mirror as last read


def test_a_status_change_meets_the_module_s_own_and_takes_it(ecg, window, qtbot, context):
    org, remote, reg_id = mirror(ecg, context.db)
    keep_token(context.store, ecg.url, ecg.token)
    client = ecg.client()
    client.send("POST", f"/api/organizations/{org}/webhook-subscriptions/{remote}/deactivate")
    client.close()
    tab = window.registrations_tab
    tab.refresh()
    wait_for_rows(tab, qtbot, 1)
    tab.table.selectRow(0)
    tab.actions_by_name["archive"].trigger()
    qtbot.mouseClick(tab.reason_dialog.ok_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: tab.findChild(ConflictDialog) is not None)
    dialog = tab.findChild(ConflictDialog)
    assert _texts(dialog) == [["Status", "enabled", "archived", "disabled"]]

    qtbot.mouseClick(dialog.take_button, Qt.MouseButton.LeftButton)

    qtbot.waitUntil(lambda: table_texts(tab)[0][2] == "disabled")
    assert ecg.registration(remote)["status"] == "disabled"
