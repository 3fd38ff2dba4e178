"""The table the tabs list their records in: whole rows, one selected at a time."""

from __future__ import annotations

from collections.abc import Mapping

from PySide6.QtCore import QAbstractItemModel
from PySide6.QtWidgets import QAbstractItemView, QTableView


def record_table(model: QAbstractItemModel, widths: Mapping[int, int] | None = None) -> QTableView:
    """A read-only table over `model`: rows selected whole and singly, alternating colours,
    no wrapping, no row numbers, Tab moving on to the next widget; `widths` are the starting
    column widths; the last column takes what is left."""
    table = QTableView()
    table.setModel(model)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setAlternatingRowColors(True)
    table.setWordWrap(False)
    table.verticalHeader().hide()
    table.setTabKeyNavigation(False)  # Tab moves on to the next widget, not the next cell
    table.horizontalHeader().setStretchLastSection(True)
    selection = table.selectionModel()

    def select_current(current, _previous) -> None:
        # Tabbing into a table makes its first row current but not selected, which left the
        # actions on "the selected row" off for a keyboard user: the current row is selected.
        if current.isValid() and not selection.isRowSelected(current.row()):
            table.selectRow(current.row())

    selection.currentRowChanged.connect(select_current)
    for column, width in (widths or {}).items():
        table.setColumnWidth(column, width)
    return table
