"""Edit and resend: a delivery's payload in the JSON editor, checked live against its event's
schema, sent again (signed afresh) to its own registration, another one, or a URL.

The new delivery points back at the original; the audit trail keeps the edit and the reason.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
)

from webhook_desk.services import edit_resend, firing, identifying
from webhook_desk.ui.colours import text_style
from webhook_desk.ui.context import AppContext
from webhook_desk.ui.dialogs.message import show_error
from webhook_desk.ui.jobs import run_job
from webhook_desk.ui.widgets.json_editor import JsonEditor

CHECK_DELAY_MS = 150
ORIGINAL, URL = "original", "url"


class EditResendDialog(QDialog):
    """`resent(new_id)` once the edited delivery is queued."""

    resent = Signal(int)

    def __init__(self, context: AppContext, form: edit_resend.EditForm, parent=None):
        super().__init__(parent)
        self.context = context
        self.form = form
        self.timer = QTimer(self, singleShot=True, interval=CHECK_DELAY_MS)
        self.timer.timeout.connect(self.check)
        self.source = form.source
        source = form.source
        self.setWindowTitle(f"Edit and resend {source.label} ({source.event_code})")
        self.resize(860, 640)
        self.editor = JsonEditor()
        self.editor.setTabChangesFocus(True)
        self.editor.setPlainText(_pretty(source.payload))
        self.problems = QLabel()
        self.problems.setWordWrap(True)
        self.skip_schema = QCheckBox("Send even if it breaks the schema")
        self.headers = QPlainTextEdit()
        self.headers.setTabChangesFocus(True)
        self.headers.setPlaceholderText(
            "X-Test-Case: 42   (one per line; sent over the platform's)"
        )
        self.headers.setPlainText(_header_text(form.source.extra_headers))
        self.headers.setMaximumHeight(self.fontMetrics().lineSpacing() * 5)
        self.headers.textChanged.connect(self.timer.start)
        self.target = QComboBox()
        self._fill_targets(form.targets)
        self.url = QLineEdit(source.target_url)
        self.reason = QLineEdit()
        self.reason.setPlaceholderText("Why, for the audit trail (optional)")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.send_button = self.buttons.addButton("Resend", QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.accepted.connect(self.send)
        self.buttons.rejected.connect(self.reject)
        self.editor.textChanged.connect(self.timer.start)
        for signal in (self.skip_schema.toggled, self.target.currentIndexChanged):
            signal.connect(self.check)
        self.url.textChanged.connect(self.timer.start)
        self._lay_out()
        self.check()

    def _fill_targets(self, targets: list[dict]) -> None:
        own = self.source.registration_id
        if own is not None:
            self.target.addItem(f"Its registration ({own})", ORIGINAL)
        for target in targets:
            if target["id"] != own:
                self.target.addItem(f"{target['name']}  ({target['url']})", target["id"])
        self.target.addItem("A URL", URL)
        if own is None:  # nothing of its own to go back to: where it went, by URL
            self.target.setCurrentIndex(self.target.count() - 1)

    def _lay_out(self) -> None:
        form = QFormLayout()
        form.addRow("Headers", self.headers)
        form.addRow("Send to", self.target)
        form.addRow("URL", self.url)
        form.addRow("Reason", self.reason)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Payload (the signature is computed again when it is sent)"))
        layout.addWidget(self.editor, 1)
        layout.addWidget(self.problems)
        layout.addWidget(self.skip_schema)
        layout.addLayout(form)
        layout.addWidget(self.buttons)

    def check(self) -> None:
        """The service's sentences, as the user types; Resend only when it can go."""
        self.url.setEnabled(self.target.currentData() == URL)
        problems, waivable = firing.payload_problems(self.form.event, self.editor.toPlainText())
        header_problems = self._header_problems()
        blocked = bool(header_problems) or (
            bool(problems) and not (waivable and self.skip_schema.isChecked())
        )
        problems = problems + header_problems
        self.problems.setStyleSheet(text_style("error" if problems else "ok"))
        self.problems.setText("\n".join(problems) or "The payload matches the schema.")
        self.send_button.setEnabled(not blocked)

    def _header_problems(self) -> list[str]:
        """The service's sentences for the typed headers (their parse, then their rule)."""
        headers, problems = edit_resend.headers_from_text(self.headers.toPlainText())
        return problems + edit_resend.header_problems(headers, self.form.secrets)

    def send(self) -> None:
        self.check()
        if not self.send_button.isEnabled():
            return
        self.send_button.setEnabled(False)
        db, ref = self.context.db, self.source.ref
        payload, reason = self.editor.toPlainText(), self.reason.text().strip() or None
        choice = self.target.currentData()
        to = choice if isinstance(choice, int) else None
        url = self.url.text().strip() if choice == URL else None
        validate = not self.skip_schema.isChecked()
        headers, _ = edit_resend.headers_from_text(self.headers.toPlainText())

        def work() -> int:
            with db.session() as session:
                copy = edit_resend.resend_edited(
                    session, ref, payload, to, url, reason, validate, headers
                )
                session.commit()
                return copy.id

        run_job(work, self._resent, self._refused)

    def _resent(self, new_id: int) -> None:
        self.context.deliveries_changed.emit()
        self.context.say(f"Queued delivery {new_id}, edited from {self.source.label}.")
        self.accept()
        self.resent.emit(new_id)

    def _refused(self, sentence: str) -> None:
        self.problems.setStyleSheet(text_style("error"))
        self.problems.setText(sentence)
        self.send_button.setEnabled(True)


def open_edit_resend(context: AppContext, ref: str, parent, keep: Callable) -> None:
    """Load the delivery off the GUI thread, then open the form (or say why it cannot be);
    `keep(dialog)` is given the open dialog (the caller keeps it, as tabs keep theirs)."""
    db, masked = context.db, context.masking.on

    def load() -> edit_resend.EditForm:
        with db.session() as session:
            form = edit_resend.edit_form(session, ref)
            if masked:  # the editor shows the payload in full: that is a reveal, audited
                kind, _, ident = form.source.label.partition(" ")
                identifying.reveal(session, kind, ident)
            return form

    def opened(form: edit_resend.EditForm) -> None:
        dialog = EditResendDialog(context, form, parent)
        keep(dialog)
        dialog.open()

    def refused(sentence: str) -> None:
        show_error(parent, sentence)

    run_job(load, opened, refused)


def _header_text(headers: dict | None) -> str:
    return "\n".join(f"{name}: {value}" for name, value in (headers or {}).items())


def _pretty(payload: str) -> str:
    try:
        return json.dumps(json.loads(payload), indent=2, ensure_ascii=False)
    except ValueError:
        return payload
