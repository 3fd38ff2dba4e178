"""The table the tabs list their records in: whole rows, one selected at a time."""

from __future__ import annotations

from collections.abc import Mapping

from PySide6.QtCore import QAbstractItemModel
from PySide6.QtWidgets import QAbstractItemView, QTableView


def record_table(model: QAbstractItemModel, widths: Mapping[int, int] | None = None) -> QTableView:
    """A read-only table over `model`: rows selected whole and singly, alternating colours,
    no wrapping, no row numbers; `widths` are the starting column widths; the last column
    takes what is left."""
    table = QTableView()
    table.setModel(model)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setAlternatingRowColors(True)
    table.setWordWrap(False)
    table.verticalHeader().hide()
    table.horizontalHeader().setStretchLastSection(True)
    for column, width in (widths or {}).items():
        table.setColumnWidth(column, width)
    return table
