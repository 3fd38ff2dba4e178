"""The receiver's captured requests, newest first, as they arrive."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush

from webhook_desk.platform.sender_addresses import remote_label
from webhook_desk.services.identifying import Masking
from webhook_desk.ui.colours import qcolour
from webhook_desk.ui.formatting import local_time
from webhook_desk.ui.models.table_model import NO_PARENT, RowsTableModel

MAX_ROWS = 5_000  # the window keeps the newest; the inbox itself keeps more
VERDICT_COLOURS = {"valid": "ok", "invalid": "error", "missing": "warning"}


def _verdict(r: dict) -> str:
    scheme = f" ({r['signature_scheme']})" if r.get("signature_scheme") else ""
    return r["signature"] + scheme


# What arrived and how it was answered first; where from last (the Answer column was off
# screen at 1024 px).
COLUMNS = [
    ("Time", lambda r: local_time(r["received_at"])),
    ("Method", lambda r: r["method"]),
    ("Path", lambda r: r["path"] + (f"?{r['query']}" if r.get("query") else "")),
    ("Event", lambda r: r["event"] or ""),
    ("Subject", lambda r: ""),  # read from the body by the masking rule: see `cell`
    ("Answer", lambda r: str(r["status_code"])),
    ("Signature", _verdict),
    ("Secret version", lambda r: r["secret_version"] or ""),
    ("Client certificate", lambda r: r.get("client_cert_subject") or ""),
    ("Duplicate", lambda r: "duplicate" if r["duplicate"] else ""),
    ("Delivery id", lambda r: r["delivery_id"] or ""),
    ("Remote", lambda r: remote_label(r["remote_addr"])),
]
SUBJECT_COLUMN, ANSWER_COLUMN, SIGNATURE_COLUMN, CLIENT_CERT_COLUMN = 4, 5, 6, 8


class RequestsModel(RowsTableModel):
    columns = COLUMNS

    def __init__(self, parent=None):
        super().__init__(parent)
        self.masking = Masking()

    def set_masking(self, masking: Masking) -> None:
        self.masking = masking
        if self.rows:
            last = self.index(len(self.rows) - 1, SUBJECT_COLUMN)
            self.dataChanged.emit(self.index(0, SUBJECT_COLUMN), last)

    def set_rows(self, rows: list[dict]) -> None:
        super().set_rows(rows[:MAX_ROWS])

    def prepend(self, rows: list[dict]) -> None:
        """Newest first: add `rows` (newest first too) at the top, dropping the oldest."""
        if not rows:
            return
        self.beginInsertRows(NO_PARENT, 0, len(rows) - 1)
        self.rows[:0] = rows
        self.endInsertRows()
        if len(self.rows) > MAX_ROWS:
            self.beginRemoveRows(NO_PARENT, MAX_ROWS, len(self.rows) - 1)
            del self.rows[MAX_ROWS:]
            self.endRemoveRows()

    def cell(self, row: dict, column: int, role):
        if role == Qt.ItemDataRole.DisplayRole and column == SUBJECT_COLUMN:
            return self.masking.subject_in(row.get("body"))
        if role == Qt.ItemDataRole.ToolTipRole and column == CLIENT_CERT_COLUMN:
            fingerprint = row.get("client_cert_fingerprint")
            return f"SHA-256 {fingerprint}" if fingerprint else None
        if role == Qt.ItemDataRole.ForegroundRole:
            if column == SIGNATURE_COLUMN:
                name = VERDICT_COLOURS.get(row["signature"])
                return QBrush(qcolour(name)) if name else None
            if column == ANSWER_COLUMN and row["status_code"] >= 400:
                return QBrush(qcolour("error"))
        return super().cell(row, column, role)
