"""The Add/Edit registration form used from the keyboard, as a coordinator would."""

from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QContextMenuEvent
from PySide6.QtWidgets import QApplication

from tests.ui.test_registrations_tab import (
    fill,
    one_registration_selected,
    open_add_dialog,
    table_texts,
    wait_for_rows,
)
from webhook_desk.services import catalog, registrations

CTRL_SHIFT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier


def centrepoint_codes(context) -> set[str]:
    with context.db.session() as session:
        return {e.code for e in catalog.list_events(session) if e.category.module == "centrepoint"}


def test_end_then_space_ticks_only_an_event_the_list_shows(window, qtbot, context):
    dialog = open_add_dialog(window, qtbot)
    fill(dialog, qtbot, events=())
    dialog.events_list.setFocus()
    for key in (Qt.Key.Key_Down, Qt.Key.Key_End, Qt.Key.Key_Space):
        qtbot.keyClick(dialog.events_list, key)
    ticked = dialog.events_list.currentItem()
    assert ticked.checkState() == Qt.CheckState.Checked and not ticked.isHidden()
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    wait_for_rows(window.registrations_tab, qtbot, 1)
    with context.db.session() as session:
        saved = registrations.list_all(session)[0].event_codes
    assert saved == [ticked.data(Qt.ItemDataRole.UserRole)]
    assert set(saved) <= centrepoint_codes(context)


def focus(widget, qtbot):
    widget.window().activateWindow()
    widget.setFocus()
    qtbot.waitUntil(widget.hasFocus)


def test_escape_on_a_half_filled_form_asks_before_discarding(window, qtbot):
    dialog = open_add_dialog(window, qtbot)
    qtbot.keyClicks(dialog.name, "Sleep lab")
    qtbot.keyClick(dialog.name, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: dialog.discard_box.isVisible())
    assert dialog.isVisible()
    qtbot.keyClick(dialog.discard_box, Qt.Key.Key_Escape)  # Escape again: keep editing
    assert dialog.isVisible() and dialog.name.text() == "Sleep lab"
    dialog.reject()
    discard = next(b for b in dialog.discard_box.buttons() if b.text() == "Discard")
    qtbot.mouseClick(discard, Qt.MouseButton.LeftButton)
    assert not dialog.isVisible()


def test_escape_on_an_untouched_form_just_closes_it(window, qtbot):
    dialog = open_add_dialog(window, qtbot)
    qtbot.keyClick(dialog.name, Qt.Key.Key_Escape)
    assert not dialog.isVisible()
    assert getattr(dialog, "discard_box", None) is None


def registration_in_table(window, qtbot, context):
    return one_registration_selected(window, qtbot, context)[0]


def test_the_menu_key_opens_the_actions_on_the_row(window, qtbot, context):
    tab = registration_in_table(window, qtbot, context)
    focus(tab.table, qtbot)
    qtbot.keyClick(tab.table, Qt.Key.Key_Home)  # the first row
    # What the window system sends for the Menu key (QTest cannot press it through).
    menu_key = QContextMenuEvent(
        QContextMenuEvent.Reason.Keyboard,
        QPoint(5, 5),
        tab.table.viewport().mapToGlobal(QPoint(5, 5)),
    )
    QApplication.sendEvent(tab.table.viewport(), menu_key)
    menu = tab.context_menu
    qtbot.waitUntil(menu.isVisible)
    texts = [a.text() for a in menu.actions() if not a.isSeparator()]
    for text in ("Edit…", "Enable…", "Disable…", "Rotate secret…", "Archive…", "Restore…"):
        assert text in texts
    menu.setActiveAction(tab.actions_by_name["disable"])
    qtbot.keyClick(menu, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: tab.reason_dialog.isVisible())
    qtbot.keyClick(tab.reason_dialog.reason, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: table_texts(tab)[0][2] == "disabled")


def test_window_menu_offers_every_registration_action_with_a_shortcut(window):
    menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "Re&gistration")
    shortcuts = {a.text(): a.shortcut().toString() for a in menu.actions() if not a.isSeparator()}
    for text in ("Enable…", "Disable…", "Rotate secret…", "Archive…", "Restore…"):
        assert shortcuts[text], f"{text} has no shortcut"


def test_a_shortcut_archives_the_selected_registration(window, qtbot, context):
    tab = registration_in_table(window, qtbot, context)
    focus(tab.table, qtbot)
    qtbot.keyClick(tab.table, Qt.Key.Key_Home)
    qtbot.keyClick(tab.table, Qt.Key.Key_H, CTRL_SHIFT)
    qtbot.waitUntil(lambda: tab.reason_dialog.isVisible())
    assert tab.reason_dialog.ok_button.text() == "Archive"


def test_tab_walks_from_the_table_to_the_next_widget_and_reaches_the_toolbar(
    window, qtbot, context
):
    tab = registration_in_table(window, qtbot, context)
    focus(tab.search, qtbot)
    reached = []
    for _ in range(30):
        qtbot.keyClick(window.focusWidget(), Qt.Key.Key_Tab)
        reached.append(window.focusWidget())
    assert tab.table in reached
    after_table = reached[reached.index(tab.table) + 1]
    assert after_table is not tab.table
    assert tab.toolbar.widgetForAction(tab.actions_by_name["add"]) in reached


def test_tab_in_the_payload_editor_moves_on_instead_of_typing_a_tab(window, qtbot):
    events = window.events_tab
    qtbot.waitUntil(lambda: events.tree.topLevelItemCount() > 0)
    events.select_event("upload")
    events.fire_action.trigger()
    qtbot.waitUntil(lambda: events.fire_dialog is not None)  # its targets are read first
    dialog = events.fire_dialog
    qtbot.waitUntil(dialog.isVisible)
    before = dialog.editor.toPlainText()
    focus(dialog.editor, qtbot)
    qtbot.keyClick(dialog.editor, Qt.Key.Key_Tab)
    assert dialog.editor.toPlainText() == before
    assert not dialog.editor.hasFocus()


def test_no_two_actions_on_the_registrations_tab_share_a_shortcut(window):
    """A clash makes Qt run neither: the key silently does nothing."""
    from PySide6.QtGui import QAction

    window_wide = [
        a
        for a in window.findChildren(QAction)
        if a.shortcutContext() == Qt.ShortcutContext.WindowShortcut
    ]
    active = window_wide + list(window.registrations_tab.actions_by_name.values())
    keys = [a.shortcut().toString() for a in active if not a.shortcut().isEmpty()]
    assert sorted(k for k in set(keys) if keys.count(k) > 1) == []
