"""Sorting History by clicking a column's header: the rows come in the order `history --sort`
prints for the same filter, a second click reverses it, the selected delivery stays selected
and shown, and the order is there again after a restart."""

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QAbstractItemView

from tests.ui.test_history_detail import click_row
from tests.ui.test_history_state import load_demo, reopen
from webhook_desk.history import queries
from webhook_desk.history.sort_order import Sort
from webhook_desk.services import firing
from webhook_desk.ui.models.history_model import PAGE_SIZE, SORTS, TITLES

SORTED_BY_CLICK = ["Status", "Code", "Event", "Registration", "Attempts", "Created", "Last sent"]


def click_header(qtbot, tab, title: str) -> None:
    """Bring the column into view and click its header, as a person would."""
    column = TITLES.index(title)
    tab.table.scrollTo(tab.model.index(0, column))
    header = tab.table.horizontalHeader()
    x = header.sectionViewportPosition(column) + header.sectionSize(column) // 2
    qtbot.mouseClick(
        header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, header.height() // 2)
    )


def shown_sort(tab) -> tuple[str, bool]:
    header = tab.table.horizontalHeader()
    descending = header.sortIndicatorOrder() == Qt.SortOrder.DescendingOrder
    return TITLES[header.sortIndicatorSection()], descending


def listed_ids(cli, context, sort: str, *filters) -> list[int]:
    result = cli("history", *filters, "--sort", sort, "--limit", PAGE_SIZE, "--json", db=context.db)
    assert result.code == 0, result.err
    return [row["id"] for row in result.json()]


def settled(qtbot, tab) -> None:
    qtbot.waitUntil(lambda: not tab.model.loading and not tab.model.locating)


@pytest.mark.parametrize("title", SORTED_BY_CLICK)
def test_a_header_click_sorts_by_that_column_and_a_second_click_reverses_it(
    show_history, qtbot, context, cli, title
):
    load_demo(context, 400)
    tab = show_history()
    tab.filters.exclude_codes.setText("2xx")
    tab.filters.apply()
    settled(qtbot, tab)
    count = tab.count_label.text()
    seen = set()
    for _ in range(2):
        click_header(qtbot, tab, title)
        settled(qtbot, tab)
        shown, descending = shown_sort(tab)
        assert shown == title
        sort = f"{SORTS[TITLES.index(title)]}:{'desc' if descending else 'asc'}"
        expected = listed_ids(cli, context, sort, "--exclude-codes", "2xx")
        assert [row["id"] for row in tab.model.rows[:PAGE_SIZE]] == expected
        assert tab.count_label.text() == count  # the same deliveries, in another order
        seen.add(descending)
    assert seen == {True, False}


def test_the_selected_delivery_stays_selected_and_shown_wherever_the_sort_puts_it(
    show_history, qtbot, context
):
    load_demo(context, 700)
    tab = show_history()
    status_up = Sort("status", descending=False)
    with context.db.session() as session:  # a delivery the new order lists past the first page
        row = next(
            n
            for n, r in enumerate(tab.model.rows)
            if queries.position(session, tab.model.filters, status_up, r["id"]) >= PAGE_SIZE
        )
    click_row(qtbot, tab.table, row)
    chosen = tab.model.rows[row]["id"]
    qtbot.waitUntil(lambda: tab.panel.record is not None and tab.panel.record["id"] == chosen)

    click_header(qtbot, tab, "Status")
    settled(qtbot, tab)
    assert shown_sort(tab) == ("Status", False)
    qtbot.waitUntil(lambda: tab.selected_id() == chosen)
    [index] = tab.table.selectionModel().selectedRows()
    assert index.row() >= PAGE_SIZE
    assert tab.table.viewport().rect().intersects(tab.table.visualRect(index))  # in view
    assert tab.panel.record["id"] == chosen
    assert tab.resend_action.isEnabled()


def test_a_column_the_database_cannot_sort_by_leaves_the_order_as_it_was(
    show_history, qtbot, context
):
    load_demo(context, 50)
    tab = show_history()
    before = [r["id"] for r in tab.model.rows]
    click_header(qtbot, tab, "Target")
    settled(qtbot, tab)
    assert shown_sort(tab) == ("Created", True)
    assert [r["id"] for r in tab.model.rows] == before


def test_the_order_is_remembered_across_a_restart(
    show_history, window, qtbot, context, settings, cli
):
    load_demo(context, 120)
    tab = show_history()
    click_header(qtbot, tab, "Code")
    settled(qtbot, tab)
    assert shown_sort(tab) == ("Code", False)

    again = reopen(window, context, settings, qtbot)
    tab = again.history_tab
    settled(qtbot, tab)
    assert shown_sort(tab) == ("Code", False)
    assert [r["id"] for r in tab.model.rows] == listed_ids(cli, context, "code")
    again.shutdown()


def test_new_deliveries_while_sorted_take_their_place_and_the_view_stays(
    show_history, qtbot, context, cli
):
    load_demo(context, 300)
    tab = show_history()
    click_header(qtbot, tab, "Status")  # failed, pending, succeeded
    settled(qtbot, tab)
    chosen = next(r["id"] for r in tab.model.rows[150:] if r["status"] == "succeeded")
    row = tab.model.row_of(chosen)
    tab.table.scrollTo(tab.model.index(row, 0), QAbstractItemView.ScrollHint.PositionAtCenter)
    click_row(qtbot, tab.table, row)
    qtbot.waitUntil(lambda: tab.panel.record is not None and tab.panel.record["id"] == chosen)
    scrolled = tab.table.verticalScrollBar().value()
    assert scrolled > 0

    with context.db.session() as session:  # queued: pending, sorted before the succeeded
        firing.fire(session, "upload", url="http://127.0.0.1:9/hooks", count=5)
    context.deliveries_changed.emit()
    qtbot.waitUntil(lambda: tab.model.total == 305 and not tab.model.locating)
    assert [r["id"] for r in tab.model.rows[:PAGE_SIZE]] == listed_ids(cli, context, "status")
    qtbot.waitUntil(lambda: tab.selected_id() == chosen)
    assert tab.panel.record["id"] == chosen
    assert tab.table.verticalScrollBar().value() == scrolled  # the view stayed where it was
