"""Record outcome…: what happened to a delivery sent by someone else or answered later (seed
004's activity outcome). services/outcomes.py checks it; its sentence shows under the form."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
)

from webhook_desk.services import outcomes
from webhook_desk.ui import hosted_actions
from webhook_desk.ui.colours import text_style
from webhook_desk.ui.jobs import run_job


class OutcomeDialog(QDialog):
    def __init__(self, context, delivery_id: int, parent=None):
        super().__init__(parent)
        self.context, self.delivery_id = context, delivery_id
        self.setWindowTitle(f"Record the outcome of delivery {delivery_id}")
        self.succeeded = QRadioButton("Succeeded")
        self.failed = QRadioButton("Failed")
        self.failed.setChecked(True)
        choice = QButtonGroup(self)
        for button in (self.succeeded, self.failed):
            choice.addButton(button)
        row = QHBoxLayout()
        row.addWidget(self.succeeded)
        row.addWidget(self.failed)
        row.addStretch(1)
        self.status_code = QSpinBox(minimum=0, maximum=599, specialValueText="none")
        self.error = QLineEdit(placeholderText="what went wrong (optional)")
        self.raw_response = QPlainTextEdit(placeholderText="the receiver's answer (optional)")
        self.reason = QLineEdit(placeholderText="reason for the audit trail (optional)")
        form = QFormLayout()
        form.addRow("Outcome", row)
        form.addRow("HTTP status", self.status_code)
        form.addRow("Error", self.error)
        form.addRow("Response", self.raw_response)
        form.addRow("Reason", self.reason)
        self.problem = QLabel(wordWrap=True)
        self.problem.setStyleSheet(text_style("error"))
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.save_button = self.buttons.addButton("Record", QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.problem)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(460)

    def save(self) -> None:
        db, store, delivery_id = self.context.db, self.context.store, self.delivery_id
        code = self.status_code.value() or None
        success = self.succeeded.isChecked()
        error, raw = self.error.text().strip(), self.raw_response.toPlainText()
        reason = self.reason.text().strip()
        self.save_button.setEnabled(False)

        def work() -> str:
            hosted = hosted_actions.delivery_writes(db, store, delivery_id)
            if hosted is not None:  # pulled from an ECG module: recorded there first
                from webhook_desk.platform.ecg_activity_writes import Outcome

                outcome = Outcome(success, code, error, raw or None)
                with hosted as writes:
                    done = writes.record_outcome(delivery_id, outcome, reason or None)
                return hosted_actions.module_answer("recorded the outcome", done)
            with db.session() as session:
                outcomes.record_outcome(
                    session, delivery_id, success, code, error, raw or None, reason
                )
            return f"Outcome of delivery {delivery_id} recorded."

        run_job(work, self._saved, self._refused)

    def _saved(self, sentence: str) -> None:
        self.context.say(sentence)
        self.context.deliveries_changed.emit()
        self.accept()

    def _refused(self, sentence: str) -> None:
        self.problem.setText(sentence)
        self.save_button.setEnabled(True)
