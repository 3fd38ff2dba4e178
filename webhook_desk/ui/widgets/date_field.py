"""A date or time typed freely, or a day picked from a calendar (the History filters' Since
and Until): the calendar writes the day as YYYY-MM-DD, which the filter reads as that day."""

from __future__ import annotations

from PySide6.QtCore import QDate, QPoint, Qt, Signal
from PySide6.QtWidgets import QCalendarWidget, QHBoxLayout, QLineEdit, QToolButton, QWidget

from webhook_desk.ui.icons import icon


class DateField(QWidget):
    """`line` is the text field; `picked` is emitted after a day is chosen in the calendar."""

    picked = Signal()

    def __init__(self, placeholder: str, parent=None):
        super().__init__(parent)
        self.line = QLineEdit()
        self.line.setPlaceholderText(placeholder)
        self.line.setClearButtonEnabled(True)
        self.line.setMinimumWidth(74)  # with the button, as wide as the other fields
        # A popup window, not a menu: a menu's exec() would hold the caller until it closes.
        self.calendar = QCalendarWidget(self)
        self.calendar.setWindowFlags(Qt.WindowType.Popup)
        self.calendar.setGridVisible(True)
        self.calendar.clicked.connect(self._pick)
        self.calendar.activated.connect(self._pick)  # Enter on a day
        self.button = QToolButton()
        self.button.setIcon(icon("calendar"))
        self.button.setToolTip("Pick a day")
        self.button.clicked.connect(self.open_calendar)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.line, 1)
        layout.addWidget(self.button)

    def open_calendar(self) -> None:
        """Show the calendar under the field, at the day typed (or today)."""
        typed = QDate.fromString(self.line.text().strip()[:10], "yyyy-MM-dd")
        self.calendar.setSelectedDate(typed if typed.isValid() else QDate.currentDate())
        self.calendar.move(self.mapToGlobal(QPoint(0, self.height())))
        self.calendar.show()
        self.calendar.setFocus()

    def _pick(self, day: QDate) -> None:
        self.line.setText(day.toString("yyyy-MM-dd"))
        self.calendar.hide()
        self.picked.emit()
