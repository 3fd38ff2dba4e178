"""At 1024x700, the smallest window the layout is made for, the columns a user scans first
are on screen without scrolling."""

from PySide6.QtCore import Qt

from tests.ui.test_registrations_tab import one_registration_selected
from webhook_desk.ui.models.registrations_model import COLUMNS as REGISTRATION_COLUMNS


def visible_headers(table) -> list[str]:
    model, width = table.model(), table.viewport().width()
    return [
        model.headerData(c, Qt.Orientation.Horizontal)
        for c in range(model.columnCount())
        if table.columnViewportPosition(c) + table.columnWidth(c) <= width
    ]


def small_window(window, qtbot, tab):
    window.resize(1024, 700)
    window.tabs.setCurrentWidget(tab)
    qtbot.waitUntil(lambda: window.width() == 1024 and tab.isVisible())


def test_registrations_show_name_owner_status_validation_result_and_failures(
    window, qtbot, context
):
    tab, _ = one_registration_selected(window, qtbot, context, name="Built-in receiver (local)")
    small_window(window, qtbot, tab)
    shown = visible_headers(tab.table)
    assert shown[:6] == ["Name", "Owner", "Status", "Validation", "Result", "Failures"]
    assert [name for name, _ in REGISTRATION_COLUMNS][:6] == shown[:6]


def test_the_receiver_shows_what_arrived_and_how_it_was_answered(window, qtbot):
    tab = window.receiver_tab
    small_window(window, qtbot, tab)
    shown = visible_headers(tab.table)
    key = ("Time", "Path", "Event", "Answer", "Signature", "Secret version", "Client certificate")
    for header in key:
        assert header in shown, (header, shown)


def test_the_events_tree_and_registrations_table_offer_their_actions_on_right_click(window):
    assert window.events_tab.fire_action in window.events_tab.context_menu.actions()
    event_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Event")
    assert window.events_tab.fire_action in event_menu.actions()
