"""The delivery history as a lazy table: pages are fetched by key, off the GUI thread, as the
view scrolls, so a million rows cost no more than the few hundred on screen.
"""

from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt, Signal
from PySide6.QtGui import QBrush, QColor

from webhook_desk.history import queries
from webhook_desk.history.queries import Filters
from webhook_desk.ui.formatting import local_time
from webhook_desk.ui.jobs import run_job

PAGE_SIZE = 200
NO_PARENT = QModelIndex()
STATUS_COLOURS = {"succeeded": "#1b7f3b", "failed": "#c62828", "pending": "#b26a00"}
ID_ROLE = Qt.ItemDataRole.UserRole + 1

COLUMNS = [
    ("Created", lambda r: local_time(r["created_at"])),
    ("Event", lambda r: r["event"] + (" (handshake)" if r["is_validation"] else "")),
    ("Status", lambda r: r["status"]),
    ("Code", lambda r: "" if r["response_code"] is None else str(r["response_code"])),
    ("Attempts", lambda r: str(r["attempts"])),
    ("Study", lambda r: r["study_id"] or ""),
    ("Subject", lambda r: r["subject_id"] or ""),
    ("Registration", lambda r: "" if r["registration_id"] is None else str(r["registration_id"])),
    ("Target", lambda r: r["target_url"]),
    ("Delivery id", lambda r: r["delivery_id"]),
    ("Error", lambda r: r["error"] or ""),
]


def fetch_page(db, filters: Filters, after_key) -> tuple[list[dict], object]:
    with db.session() as session:
        page = queries.list_deliveries(session, filters, PAGE_SIZE, after_key)
        return [queries.as_dict(d) for d in page.rows], page.next_key


class HistoryModel(QAbstractTableModel):
    loaded = Signal()  # a page arrived
    failed = Signal(str)

    def __init__(self, db, parent=None):
        super().__init__(parent)
        self.db = db
        self.rows: list[dict] = []
        self.filters = Filters()
        self.next_key = None
        self.has_more = False
        self.loading = False
        self._generation = 0  # pages of an older filter that arrive late are dropped

    def reload(self, filters: Filters | None = None) -> None:
        if filters is not None:
            self.filters = filters
        self._generation += 1
        self.loading = True
        generation, filters = self._generation, self.filters
        run_job(
            lambda: fetch_page(self.db, filters, None),
            lambda result: self._first_page(generation, result),
            self._failed,
        )

    def _first_page(self, generation: int, result) -> None:
        if generation != self._generation:
            return
        rows, self.next_key = result
        self.beginResetModel()
        self.rows = rows
        self.has_more = self.next_key is not None
        self.loading = False
        self.endResetModel()
        self.loaded.emit()

    def canFetchMore(self, parent=NO_PARENT) -> bool:
        return not parent.isValid() and self.has_more and not self.loading

    def fetchMore(self, parent=NO_PARENT) -> None:
        if not self.canFetchMore(parent):
            return
        self.loading = True
        generation, filters, key = self._generation, self.filters, self.next_key
        run_job(
            lambda: fetch_page(self.db, filters, key),
            lambda result: self._next_page(generation, result),
            self._failed,
        )

    def _next_page(self, generation: int, result) -> None:
        if generation != self._generation:
            return
        rows, self.next_key = result
        self.loading = False
        self.has_more = self.next_key is not None
        if rows:
            self.beginInsertRows(NO_PARENT, len(self.rows), len(self.rows) + len(rows) - 1)
            self.rows.extend(rows)
            self.endInsertRows()
        self.loaded.emit()

    def _failed(self, sentence: str) -> None:
        self.loading = False
        self.failed.emit(sentence)

    def row_of(self, delivery_id: int) -> int | None:
        return next((i for i, r in enumerate(self.rows) if r["id"] == delivery_id), None)

    def rowCount(self, parent=NO_PARENT) -> int:
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent=NO_PARENT) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section][0]
        return None

    def data(self, index: QModelIndex, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        row = self.rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[index.column()][1](row)
        if role == ID_ROLE:
            return row["id"]
        if role == Qt.ItemDataRole.ForegroundRole and index.column() in (2, 3):
            colour = STATUS_COLOURS.get(row["status"])
            return QBrush(QColor(colour)) if colour else None
        if role == Qt.ItemDataRole.ToolTipRole and index.column() == 10:
            return row["error"]
        return None
