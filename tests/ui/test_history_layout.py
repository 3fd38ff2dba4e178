"""At 1024x700 the History table shows the columns an analyst scans first without scrolling
sideways, beside the delivery panel."""

from tests.ui.test_history_state import load_demo
from tests.ui.test_layout import small_window, visible_headers


def test_history_shows_created_event_status_code_and_subject_at_1024(
    show_history, window, qtbot, context
):
    load_demo(context, 30)
    tab = show_history()
    small_window(window, qtbot, tab)
    assert tab.side.isVisible() and tab.side.width() > 300  # the panel is not squeezed out
    assert tab.table.horizontalScrollBar().value() == 0
    shown = visible_headers(tab.table)
    for header in ("Created", "Event", "Status", "Code", "Subject"):
        assert header in shown, (header, shown)
