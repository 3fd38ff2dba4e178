"""Sorting the History table by a header click: the database orders the rows (the rule is
history.sort_order's), the header's indicator shows the order, and the order is remembered."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QTableView

from webhook_desk.errors import InvalidInput
from webhook_desk.history.sort_order import NEWEST_FIRST, Sort, parse_sort
from webhook_desk.ui.models.history_model import SORTS, HistoryModel

SETTING = "history/sort"


class HeaderSort:
    """Clicks on `table`'s header sort `model`; `shown_id` names the delivery to keep."""

    def __init__(self, table: QTableView, model: HistoryModel, shown_id: Callable[[], int | None]):
        self.table, self.model, self.shown_id = table, model, shown_id
        header = table.horizontalHeader()
        header.setSectionsClickable(True)
        header.setSortIndicatorShown(True)
        header.sectionClicked.connect(self.by_column)
        self.show()

    def by_column(self, column: int) -> None:
        """Sort by that column, or the other way if it is the sorted one already; the shown
        delivery stays selected wherever the new order puts it (the model's `located`)."""
        name = SORTS.get(column)
        if name is None:  # not a column the database can order by quickly
            self.show()
            return
        current = self.model.order
        if name == current.column:
            sort = Sort(name, not current.descending)
        else:  # times newest first, the rest A to Z / smallest first
            sort = Sort(name, name in ("created", "last-sent"))
        self.model.reload(order=sort, keep=self.shown_id())
        self.show()

    def show(self) -> None:
        """The header's indicator on the model's order (Qt flips it on any click)."""
        sort = self.model.order
        column = next(c for c, name in SORTS.items() if name == sort.column)
        order = Qt.SortOrder.DescendingOrder if sort.descending else Qt.SortOrder.AscendingOrder
        self.table.horizontalHeader().setSortIndicator(column, order)

    def save(self, settings: QSettings) -> None:
        settings.setValue(SETTING, self.model.order.text())

    def restore(self, settings: QSettings) -> bool:
        """The remembered order, set on the model without reading; True if it changed."""
        try:
            sort = parse_sort(str(settings.value(SETTING, NEWEST_FIRST.text())))
        except InvalidInput:  # written by another version: the usual order
            sort = NEWEST_FIRST
        changed, self.model.order = sort != self.model.order, sort
        self.show()
        return changed
