"""The Add/Edit registration form used from the keyboard, as a coordinator would."""

from PySide6.QtCore import Qt

from tests.ui.test_registrations_tab import fill, open_add_dialog, wait_for_rows
from webhook_desk.services import catalog, registrations


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
