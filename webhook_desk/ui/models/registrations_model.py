"""The registrations table: one row per registration, as plain data from the service."""

from __future__ import annotations

from PySide6.QtCore import QSortFilterProxyModel, Qt
from PySide6.QtGui import QBrush
from PySide6.QtWidgets import QApplication, QStyle

from webhook_desk.ui.colours import qcolour
from webhook_desk.ui.formatting import local_time, owner
from webhook_desk.ui.models.table_model import RowsTableModel
from webhook_desk.vocabulary import DeliveryStatus, RegistrationStatus, ValidationState

# What a coordinator scans for first (is it failing?) comes before how it is set up, so
# that at 1024 px the columns that matter are on screen beside the detail panel.
COLUMNS = [
    ("Name", lambda r: r["name"]),
    ("Owner", owner),
    ("Status", lambda r: r["status"]),
    ("Validation", lambda r: r["validation_state"]),
    ("Result", lambda r: r["last_delivery_status"] or ""),
    ("Failures", lambda r: r["failure_streak"]),
    ("Last delivery", lambda r: local_time(r["last_delivery_at"])),
    ("Auth", lambda r: r["auth_type"]),
    ("URL", lambda r: r["url"]),
    ("Events", lambda r: ", ".join(r["events"])),
]
STATUS_COLOURS = {
    RegistrationStatus.ENABLED: "ok",
    RegistrationStatus.DISABLED: "warning",
    RegistrationStatus.ARCHIVED: "muted",
}
VALIDATION_COLOURS = {
    ValidationState.VALIDATED: "ok",
    ValidationState.FAILED: "error",
    ValidationState.PENDING: "muted",
    ValidationState.VALIDATING: "muted",
}
RESULT_COLOURS = {DeliveryStatus.SUCCEEDED: "ok", DeliveryStatus.FAILED: "error"}
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
            colours = {2: STATUS_COLOURS, 3: VALIDATION_COLOURS, 4: RESULT_COLOURS}
            name = colours.get(column, {}).get(value)
            return QBrush(qcolour(name)) if name else None
        if role == Qt.ItemDataRole.ToolTipRole and column == 3:
            return row.get("validation_error")
        if column == 0 and row.get("certificate_warnings"):
            return _certificate_warning(row["certificate_warnings"], role)
        return None


def _certificate_warning(warnings: list[str], role):
    """A certificate expiring or expired: a warning sign on the name, the sentences on hover."""
    if role == Qt.ItemDataRole.DecorationRole:
        return QApplication.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
    if role == Qt.ItemDataRole.ToolTipRole:
        return "\n".join(warnings)
    return None


class RegistrationsFilter(QSortFilterProxyModel):
    """Search across every column, case-insensitively; sort by the raw values."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.setFilterKeyColumn(-1)
        self.setSortRole(Qt.ItemDataRole.EditRole)
