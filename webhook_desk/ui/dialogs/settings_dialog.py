"""Settings: the database, the receiver's port, the engine's threads, timeouts, default
retry schedule, whether validation requests are signed, how often hosted modules are
refreshed, which headers carry secrets, and which payload fields identify a participant and
whether they are masked on screen."""

from __future__ import annotations

import dataclasses

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from webhook_desk import redaction
from webhook_desk.engine.retry import DEFAULT_SCHEDULE, parse_schedule
from webhook_desk.errors import UserError
from webhook_desk.services import identifying, secret_headers
from webhook_desk.ui.colours import text_style
from webhook_desk.ui.preferences import Preferences


def _seconds(value: float, low: float, high: float) -> QDoubleSpinBox:
    box = QDoubleSpinBox()
    box.setRange(low, high)
    box.setSuffix(" s")
    box.setDecimals(1)
    box.setValue(value)
    return box


class SettingsDialog(QDialog):
    def __init__(self, settings: QSettings, parent=None, db=None):
        super().__init__(parent)
        self.settings = settings
        self.db = db  # the user's secret headers live in the database, for every process
        self.setWindowTitle("Settings")
        self.setMinimumWidth(520)
        prefs = self.loaded = Preferences.load(settings)  # fields not shown here are kept
        self.database_url = QLineEdit(prefs.database_url)
        self.database_url.setPlaceholderText("the user's SQLite file (or --db / WEBHOOK_DESK_DB)")
        self.receiver_port = QSpinBox()
        self.receiver_port.setRange(1, 65535)
        self.receiver_port.setValue(prefs.receiver_port)
        self.engine_workers = QSpinBox()
        self.engine_workers.setRange(1, 64)
        self.engine_workers.setValue(prefs.engine_workers)
        self.connect_timeout = _seconds(prefs.connect_timeout_s, 0.5, 60)
        self.total_timeout = _seconds(prefs.total_timeout_s, 1, 300)
        self.retry_schedule = QLineEdit(prefs.retry_schedule)
        self.retry_schedule.setPlaceholderText(f"default: {DEFAULT_SCHEDULE}")
        self.retry_schedule.setToolTip(
            "The waits before each retry, e.g. 5s,5m,30m,2h, or centrepoint: the platform's "
            "own (two immediate retries, then 24 h, then 24 h)"
        )
        self.sign_validation = QCheckBox("Sign validation requests (the platform does not)")
        self.sign_validation.setChecked(prefs.sign_validation)
        self.sign_validation.setToolTip(
            "HMAC and Standard Webhooks registrations: whether the validation handshake carries "
            "a signature. CentrePoint sends it unsigned."
        )
        self.hosted_refresh = QSpinBox()
        self.hosted_refresh.setRange(0, 24 * 60)
        self.hosted_refresh.setSuffix(" min")
        self.hosted_refresh.setSpecialValueText("off")  # shown for 0
        self.hosted_refresh.setValue(prefs.hosted_refresh_minutes)
        self.hosted_refresh.setToolTip(
            "Pull the subscriptions and activity of each connected ECG module again, in the "
            "background, this often (0: only when you connect)"
        )
        self.secret_headers = QLineEdit(", ".join(self._stored_header_names()))
        self.secret_headers.setPlaceholderText("e.g. X-Api-Key, X-Auth-Token")
        self.secret_headers.setToolTip(
            "Headers redacted like Authorization, Cookie and the hook secret wherever headers "
            "are kept, shown or exported (a scheme word such as Bearer may stay; the value never)"
        )
        masking_on, fields = self._stored_masking()
        self.masking = QCheckBox("Mask identifying fields in History and Receiver")
        self.masking.setChecked(masking_on)
        self.masking.setToolTip(
            "Subject ids and the fields below are shown as •••• 2358 (the last four "
            "characters); a delivery's detail can reveal them, and each reveal is audited"
        )
        self.identifying_fields = QLineEdit(", ".join(fields))
        self.identifying_fields.setPlaceholderText("e.g. subjectId, subject_identifier")
        self.identifying_fields.setToolTip(
            "Payload fields that identify a study participant: masked on screen and "
            "replaced by pseudonyms in pseudonymised exports"
        )
        form = QFormLayout()
        form.addRow("Database URL", self.database_url)
        form.addRow("Receiver port", self.receiver_port)
        form.addRow("Sending threads", self.engine_workers)
        form.addRow("Connect timeout", self.connect_timeout)
        form.addRow("Total timeout", self.total_timeout)
        form.addRow("Retry schedule", self.retry_schedule)
        form.addRow("Validation", self.sign_validation)
        form.addRow("Refresh hosted modules every", self.hosted_refresh)
        if self.db is not None:
            form.addRow("Secret headers", self.secret_headers)
            form.addRow("Identifying fields", self.identifying_fields)
            form.addRow("", self.masking)
        note = QLabel(
            "The database changes on the next start; the engine and the receiver use "
            "these when they next start; the hosted refresh follows at once. A "
            "registration's own retry schedule wins over this one."
        )
        note.setWordWrap(True)
        self.error = QLabel()
        self.error.setStyleSheet(text_style("error"))
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.save_button = buttons.button(QDialogButtonBox.StandardButton.Save)
        self.retry_schedule.textChanged.connect(self._check_typed)
        self.secret_headers.textChanged.connect(self._check_typed)
        self.identifying_fields.textChanged.connect(self._check_typed)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(note)
        layout.addWidget(self.error)
        layout.addWidget(buttons)

    def _stored_header_names(self) -> list[str]:
        if self.db is None:
            return []
        with self.db.session() as session:
            return redaction.user_header_names(session)

    def _stored_masking(self) -> tuple[bool, list[str]]:
        if self.db is None:
            return True, list(identifying.DEFAULT_FIELDS)
        with self.db.session() as session:
            return identifying.masking_on(session), identifying.fields(session)

    def typed_problem(self) -> str | None:
        text = self.retry_schedule.text().strip()
        try:
            parse_schedule(text or None)
        except UserError as error:
            return str(error)
        return redaction.names_problem(
            redaction.names_in(self.secret_headers.text())
        ) or identifying.fields_problem(identifying.names_in(self.identifying_fields.text()))

    def _check_typed(self) -> None:
        """As the user types: the schedule's or a header name's problem in the error line,
        and no Save until it is fixed."""
        problem = self.typed_problem()
        self.error.setText(problem or "")
        self.save_button.setEnabled(problem is None)

    def preferences(self) -> Preferences:
        return dataclasses.replace(
            self.loaded,
            database_url=self.database_url.text().strip(),
            receiver_port=self.receiver_port.value(),
            engine_workers=self.engine_workers.value(),
            connect_timeout_s=self.connect_timeout.value(),
            total_timeout_s=self.total_timeout.value(),
            retry_schedule=self.retry_schedule.text().strip() or DEFAULT_SCHEDULE,
            sign_validation=self.sign_validation.isChecked(),
            hosted_refresh_minutes=self.hosted_refresh.value(),
        )

    def accept(self) -> None:
        prefs = self.preferences()
        if self.typed_problem():
            return
        if prefs.connect_timeout_s > prefs.total_timeout_s:
            self.error.setText("The connect timeout cannot be longer than the total timeout.")
            return
        if prefs.database_url:
            try:
                make_url(prefs.database_url)
            except ArgumentError:
                self.error.setText(f"'{prefs.database_url}' is not a database URL.")
                return
        prefs.save(self.settings)
        if self.db is not None:
            names = redaction.names_in(self.secret_headers.text())
            secret_headers.name_secret_headers(self.db, names)
            fields = identifying.names_in(self.identifying_fields.text())
            identifying.set_rule(self.db, fields, self.masking.isChecked())
        super().accept()
