"""The registrations table: one row per registration, as plain data from the service."""

from __future__ import annotations

from PySide6.QtCore import QSortFilterProxyModel, Qt
from PySide6.QtGui import QBrush, QColor

from webhook_desk.ui.formatting import local_time, owner
from webhook_desk.ui.models.table_model import RowsTableModel
from webhook_desk.vocabulary import DeliveryStatus, RegistrationStatus, ValidationState

COLUMNS = [
    ("Name", lambda r: r["name"]),
    ("Study / organisation", owner),
    ("Status", lambda r: r["status"]),
    ("Validation", lambda r: r["validation_state"]),
    ("Auth", lambda r: r["auth_type"]),
    ("Last delivery", lambda r: local_time(r["last_delivery_at"])),
    ("Result", lambda r: r["last_delivery_status"] or ""),
    ("Failure streak", lambda r: r["failure_streak"]),
    ("URL", lambda r: r["url"]),
    ("Events", lambda r: ", ".join(r["events"])),
]
STATUS_COLOURS = {
    RegistrationStatus.ENABLED: "#1b7f3b",
    RegistrationStatus.DISABLED: "#b26a00",
    RegistrationStatus.ARCHIVED: "#6b7280",
}
VALIDATION_COLOURS = {
    ValidationState.VALIDATED: "#1b7f3b",
    ValidationState.FAILED: "#c62828",
    ValidationState.PENDING: "#6b7280",
}
RESULT_COLOURS = {DeliveryStatus.SUCCEEDED: "#1b7f3b", DeliveryStatus.FAILED: "#c62828"}
ID_ROLE = Qt.ItemDataRole.UserRole + 1


class RegistrationsModel(RowsTableModel):
    columns = COLUMNS

    def row_for(self, reg_id: int) -> int | None:
        return next((i for i, r in enumerate(self.rows) if r["id"] == reg_id), None)

    def cell(self, row: dict, column: int, role):
        value = COLUMNS[column][1](row)
        if role == Qt.ItemDataRole.DisplayRole:
            return str(value)
        if role == Qt.ItemDataRole.EditRole:  # the sort key: numbers sort as numbers
            return value
        if role == ID_ROLE:
            return row["id"]
        if role == Qt.ItemDataRole.ForegroundRole:
            colours = {2: STATUS_COLOURS, 3: VALIDATION_COLOURS, 6: RESULT_COLOURS}
            colour = colours.get(column, {}).get(value)
            return QBrush(QColor(colour)) if colour else None
        if role == Qt.ItemDataRole.ToolTipRole and column == 3:
            return row.get("validation_error")
        return None


class RegistrationsFilter(QSortFilterProxyModel):
    """Search across every column, case-insensitively; sort by the raw values."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.setFilterKeyColumn(-1)
        self.setSortRole(Qt.ItemDataRole.EditRole)
