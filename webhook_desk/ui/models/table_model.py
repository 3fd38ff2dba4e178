"""A table of plain row dicts under named columns: what the Registrations and Receiver tables
share. Each model names its columns and says what a cell shows beyond its text."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt

NO_PARENT = QModelIndex()
Column = tuple[str, Callable[[dict], Any]]  # (header, the cell's value from the row)


class RowsTableModel(QAbstractTableModel):
    columns: list[Column] = []

    def __init__(self, parent=None):
        super().__init__(parent)
        self.rows: list[dict] = []

    def set_rows(self, rows: list[dict]) -> None:
        self.beginResetModel()
        self.rows = rows
        self.endResetModel()

    def rowCount(self, parent=NO_PARENT) -> int:
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent=NO_PARENT) -> int:
        return 0 if parent.isValid() else len(self.columns)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.columns[section][0]
        return None

    def data(self, index: QModelIndex, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        return self.cell(self.rows[index.row()], index.column(), role)

    def cell(self, row: dict, column: int, role):
        """What the cell holds for `role`; the text by default."""
        if role == Qt.ItemDataRole.DisplayRole:
            return self.columns[column][1](row)
        return None
