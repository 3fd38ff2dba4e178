"""The History tab's filter bar: every filter the history query offers, read into Filters."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QGridLayout, QLabel, QLineEdit, QPushButton, QWidget

from webhook_desk.history.queries import STATUSES, Filters, code_conditions, parse_time
from webhook_desk.ui.icons import icon


def _line(placeholder: str, width: int = 70) -> QLineEdit:
    field = QLineEdit()
    field.setPlaceholderText(placeholder)
    field.setClearButtonEnabled(True)
    field.setMinimumWidth(width)
    return field


class HistoryFilters(QWidget):
    """`applied(Filters)` when the user applies a valid set; a bad one shows its sentence."""

    applied = Signal(object)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.study = _line("any study")
        self.registration = QComboBox()
        self.event_choice = QComboBox()
        self.status = QComboBox()
        self.status.addItem("any status", None)
        for status in STATUSES:
            self.status.addItem(status, status)
        self.include_codes = _line("e.g. 2xx,404")
        self.exclude_codes = _line("e.g. 5xx")
        self.since = _line("2024-05-01 or …T12:00", 100)
        self.until = _line("local time", 100)
        self.subject = _line("subjectId / subject_id")
        self.text = _line("words in the payload")
        self.apply_button = QPushButton(icon("filter"), "Apply")
        self.apply_button.clicked.connect(self.apply)
        self.clear_button = QPushButton(icon("clear"), "Clear")
        self.clear_button.clicked.connect(self.clear)
        self.error = QLabel()
        self.error.setStyleSheet("color: #c62828;")
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        cells = [
            ("Study", self.study),
            ("Registration", self.registration),
            ("Event", self.event_choice),
            ("Status", self.status),
            ("Include codes", self.include_codes),
            ("Exclude codes", self.exclude_codes),
            ("Since", self.since),
            ("Until", self.until),
            ("Subject", self.subject),
            ("Payload text", self.text),
        ]
        for i, (label, widget) in enumerate(cells):
            row, column = divmod(i, 4)
            grid.addWidget(QLabel(label), row, column * 2)
            grid.addWidget(widget, row, column * 2 + 1)
        grid.addWidget(self.apply_button, 0, 8)
        grid.addWidget(self.clear_button, 1, 8)
        grid.addWidget(self.error, 2, 4, 1, 5)  # beside the last filters: no extra row
        for field in self._typed_fields():
            field.returnPressed.connect(self.apply)
        self.set_choices([], [])

    def _typed_fields(self) -> tuple[QLineEdit, ...]:
        return (
            self.study,
            self.include_codes,
            self.exclude_codes,
            self.since,
            self.until,
            self.subject,
            self.text,
        )

    def set_choices(self, registrations: list[tuple[int, str]], events: list[str]) -> None:
        """Fill the registration and event lists, keeping what is chosen."""
        chosen_reg, chosen_event = self.registration.currentData(), self.event_choice.currentData()
        self.registration.clear()
        self.registration.addItem("any registration", None)
        for reg_id, name in registrations:
            self.registration.addItem(f"{reg_id} · {name}", reg_id)
        self.event_choice.clear()
        self.event_choice.addItem("any event", None)
        for code in events:
            self.event_choice.addItem(code, code)
        self.registration.setCurrentIndex(max(0, self.registration.findData(chosen_reg)))
        self.event_choice.setCurrentIndex(max(0, self.event_choice.findData(chosen_event)))

    def filters(self) -> Filters:
        """The filters as typed; raises UserError with the sentence for a bad one."""
        for field in (self.include_codes, self.exclude_codes):
            if field.text().strip():
                code_conditions(field.text())
        return Filters(
            study=self.study.text().strip() or None,
            registration_id=self.registration.currentData(),
            event=self.event_choice.currentData(),
            status=self.status.currentData(),
            include_codes=self.include_codes.text().strip() or None,
            exclude_codes=self.exclude_codes.text().strip() or None,
            since=parse_time(self.since.text(), "Since"),
            until=parse_time(self.until.text(), "Until"),
            subject=self.subject.text().strip() or None,
            text=self.text.text().strip() or None,
        )

    def apply(self) -> None:
        from webhook_desk.errors import UserError

        try:
            filters = self.filters()
        except UserError as error:
            self.error.setText(str(error))
            return
        self.error.setText("")
        self.applied.emit(filters)

    def clear(self) -> None:
        for field in self._typed_fields():
            field.clear()
        for combo in (self.registration, self.event_choice, self.status):
            combo.setCurrentIndex(0)
        self.apply()
