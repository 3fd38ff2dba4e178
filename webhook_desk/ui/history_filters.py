"""The History tab's filter bar: every filter the history query offers, read into Filters.

A choice in a list (or a day picked in a calendar) applies at once; typed text applies on
Enter or Apply, and until then the bar says it is not applied yet. `state()`/`restore()`
give the fields as plain text for QSettings, so the analyst's filter survives a restart.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QGridLayout, QLabel, QLineEdit, QPushButton, QWidget

from webhook_desk.errors import UserError
from webhook_desk.history.queries import STATUSES, Filters, code_conditions, parse_time, parse_until
from webhook_desk.ui.icons import icon
from webhook_desk.ui.widgets.date_field import DateField

PENDING_TEXT = "Not applied yet: press Enter or Apply."


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
        self.since_field = DateField("2024-05-01 or …T12:00")
        self.until_field = DateField("a day, or a time")
        self.since, self.until = self.since_field.line, self.until_field.line
        self.subject = _line("subjectId / subject_id")
        self.text = _line("words in the payload")
        self.apply_button = QPushButton(icon("filter"), "Apply")
        self.apply_button.clicked.connect(self.apply)
        self.clear_button = QPushButton(icon("clear"), "Clear")
        self.clear_button.clicked.connect(self.clear)
        self.error = QLabel()
        self.error.setStyleSheet("color: #c62828;")
        self.pending = QLabel()
        self.pending.setStyleSheet("color: #b26a00;")
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        cells = [
            ("Study", self.study),
            ("Registration", self.registration),
            ("Event", self.event_choice),
            ("Status", self.status),
            ("Include codes", self.include_codes),
            ("Exclude codes", self.exclude_codes),
            ("Since", self.since_field),
            ("Until", self.until_field),
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
        grid.addWidget(self.pending, 2, 4, 1, 5)
        for field in self._typed_fields():
            field.returnPressed.connect(self.apply)
            field.textChanged.connect(self._changed)
        for name, combo in self._named_combos():
            combo.activated.connect(lambda _index, name=name: self._chose(name))
        for field in (self.since_field, self.until_field):
            field.picked.connect(self.apply)
        self._wanted: dict[str, object] = {}  # restored choices whose lists are not loaded
        self.set_choices([], [])
        self._applied_state = self.state()  # what the table shows at first: no filter

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
        chosen_reg = self._wanted.pop("registration", chosen_reg) if registrations else chosen_reg
        chosen_event = self._wanted.pop("event", chosen_event) if events else chosen_event
        vanished = False
        for combo, chosen in ((self.registration, chosen_reg), (self.event_choice, chosen_event)):
            index = combo.findData(chosen)
            vanished |= index < 0 and chosen is not None and combo.count() > 1
            combo.setCurrentIndex(max(0, index))
        if vanished:  # e.g. a remembered registration since deleted: list what the bar says
            self.apply()

    def filters(self) -> Filters:
        """The filters as typed; raises UserError with the sentence for a bad one."""
        for field in (self.include_codes, self.exclude_codes):
            if field.text().strip():
                code_conditions(field.text())
        return Filters(
            study=self.study.text().strip() or None,
            registration_id=self._chosen("registration", self.registration),
            event=self._chosen("event", self.event_choice),
            status=self.status.currentData(),
            include_codes=self.include_codes.text().strip() or None,
            exclude_codes=self.exclude_codes.text().strip() or None,
            since=parse_time(self.since.text(), "Since"),
            until=parse_until(self.until.text(), "Until"),
            subject=self.subject.text().strip() or None,
            text=self.text.text().strip() or None,
        )

    def _chose(self, name: str) -> None:
        self._wanted.pop(name, None)  # the user's choice wins over a restored one
        self.apply()

    def _chosen(self, name: str, combo: QComboBox):
        return self._wanted[name] if name in self._wanted else combo.currentData()

    def apply(self) -> None:
        try:
            filters = self.filters()
        except UserError as error:
            self.pending.setText("")
            self.error.setText(str(error))
            return
        self.error.setText("")
        self._applied_state = self.state()
        self.pending.setText("")
        self.applied.emit(filters)

    def _changed(self) -> None:
        differs = self.state() != self._applied_state
        self.pending.setText(PENDING_TEXT if differs and not self.error.text() else "")

    def clear(self) -> None:
        self._wanted.clear()
        for field in self._typed_fields():
            field.clear()
        for combo in (self.registration, self.event_choice, self.status):
            combo.setCurrentIndex(0)
        self.apply()

    # --- remembering --------------------------------------------------------------------

    def state(self) -> dict[str, str]:
        """Every field as text (what QSettings keeps)."""
        found = {name: field.text() for name, field in self._named_fields()}
        for name, combo in self._named_combos():
            chosen = self._chosen(name, combo)
            found[name] = "" if chosen is None else str(chosen)
        return found

    def restore(self, state: dict[str, str]) -> None:
        """Fill the fields from `state()`'s text (the lists may still be loading)."""
        for name, field in self._named_fields():
            field.setText(str(state.get(name) or ""))
        status = state.get("status") or None
        self.status.setCurrentIndex(max(0, self.status.findData(status)))
        registration = str(state.get("registration") or "")
        wanted = {
            "registration": int(registration) if registration.isdigit() else None,
            "event": state.get("event") or None,
        }
        self._wanted = {}
        for name, combo in self._named_combos()[:2]:
            index = combo.findData(wanted[name])
            if index < 0 and wanted[name] is not None:
                self._wanted[name] = wanted[name]  # chosen once the list arrives
            combo.setCurrentIndex(max(0, index))

    def _named_fields(self) -> list[tuple[str, QLineEdit]]:
        names = ("study", "include_codes", "exclude_codes", "since", "until", "subject", "text")
        return [(name, getattr(self, name)) for name in names]

    def _named_combos(self) -> list[tuple[str, QComboBox]]:
        return [
            ("registration", self.registration),
            ("event", self.event_choice),
            ("status", self.status),
        ]
