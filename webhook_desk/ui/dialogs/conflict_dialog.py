"""A change the ECG module's copy no longer agrees with: both versions side by side, field by
field (as last read, mine, the module's now; what changed highlighted), and the user's choice
of keeping theirs or taking the module's. Cancel changes nothing on either side."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)

from webhook_desk.services import registrations
from webhook_desk.ui.colours import colour

COLUMNS = ("Field", "Last read", "Mine", "The module's now")
FIELD_NAMES = {
    "url": "Target URL",
    "events": "Events",
    "event_version": "Event version",
    "is_development": "Development",
    "status": "Status",
}
KEEP_MINE, TAKE_THEIRS = "mine", "theirs"


def shown(value) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return "\n".join(str(v) for v in sorted(value)) or "none"
    return "" if value is None else str(value)


class ConflictDialog(QDialog):
    """`chosen(KEEP_MINE | TAKE_THEIRS)` on one of the two buttons; Cancel says nothing."""

    chosen = Signal(str)

    def __init__(self, conflict, parent=None):
        """`conflict`: the service's ModuleConflict (its sentence, reg_id and fields, each
        with field, last_read, mine and theirs)."""
        super().__init__(parent)
        self.setWindowTitle("Changed on the ECG module")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)  # each conflict its own dialog
        self.setMinimumWidth(860)  # event codes are long and do not wrap
        intro = QLabel(
            f"Registration {conflict.reg_id} was changed on the ECG module since the desk last "
            "read it, so your change was not sent. Keep yours (sent again over the module's "
            "version) or take the module's (the desk is updated from it)."
        )
        intro.setWordWrap(True)
        self.table = self._table(conflict.fields)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.keep_button = self.buttons.addButton(
            "Keep mine", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.take_button = self.buttons.addButton(
            "Take the module's", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.keep_button.setToolTip("Send your change again, tested against the module's values")
        self.take_button.setToolTip("Drop your change; the desk shows the module's version")
        self.keep_button.clicked.connect(lambda: self._choose(KEEP_MINE))
        self.take_button.clicked.connect(lambda: self._choose(TAKE_THEIRS))
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.table)
        layout.addStretch(1)  # room to spare goes above the buttons, not around the text
        layout.addWidget(self.buttons)

    def _table(self, fields) -> QTableWidget:
        table = QTableWidget(len(fields), len(COLUMNS))
        table.setHorizontalHeaderLabels(COLUMNS)
        table.verticalHeader().hide()
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setWordWrap(True)
        highlight = QBrush(QColor(colour("warning")))
        for row, field in enumerate(fields):
            mine = field.mine
            if field.field == "status":  # the action asked for, as the status it gives
                mine = registrations.STATUS_ACTIONS.get(mine, (mine,))[0]
            values = (field.last_read, mine, field.theirs)
            cells = [FIELD_NAMES.get(field.field, field.field), *map(shown, values)]
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                # What differs from what was last read is what each side changed.
                if column > 1 and text != cells[1]:
                    item.setForeground(highlight)
                    bold = QFont(item.font())
                    bold.setBold(True)
                    item.setFont(bold)
                table.setItem(row, column, item)
        header = table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        table.setTextElideMode(Qt.TextElideMode.ElideNone)
        table.resizeRowsToContents()
        # As tall as its rows: the dialog does not open on a mostly empty table.
        rows = sum(table.rowHeight(r) for r in range(table.rowCount()))
        table.setFixedHeight(rows + header.sizeHint().height() + 2 * table.frameWidth())
        return table

    def _choose(self, choice: str) -> None:
        self.accept()
        self.chosen.emit(choice)
