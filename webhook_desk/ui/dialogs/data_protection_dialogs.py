"""Erase a participant, and set how long history is kept: the window's faces of
services/erasure.py and services/retention.py. Both count first and ask before removing."""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
)

from webhook_desk.services import erasure, retention
from webhook_desk.ui.colours import text_style
from webhook_desk.ui.context import AppContext
from webhook_desk.ui.jobs import run_job

PROGRESS_POLL_MS = 100
RED, GREEN = "error", "ok"  # ui/colours.py names, light or dark as the palette is


class EraseSubjectDialog(QDialog):
    """Study, subject and reason; Count shows what would go, Erase does it and offers the
    certificate."""

    def __init__(self, context: AppContext, parent=None):
        super().__init__(parent)
        self.context = context
        self.setWindowTitle("Erase a participant's data")
        self.study, self.subject, self.reason = QLineEdit(), QLineEdit(), QLineEdit()
        self.reason.setPlaceholderText("The request's reference, for the audit trail")
        self.state = QLabel("Count first: nothing is removed until you press Erase.")
        self.state.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.count_button = QPushButton("Count")
        self.erase_button = QPushButton("Erase")
        self.erase_button.setEnabled(False)
        self.certificate_button = QPushButton("Save certificate…")
        self.certificate_button.setEnabled(False)
        for button in (self.count_button, self.erase_button, self.certificate_button):
            self.buttons.addButton(button, QDialogButtonBox.ButtonRole.ActionRole)
        self.count_button.clicked.connect(lambda: self._run(dry_run=True))
        self.erase_button.clicked.connect(lambda: self._run(dry_run=False))
        self.certificate_button.clicked.connect(self.save_certificate)
        self.buttons.rejected.connect(self.reject)
        for edit in (self.study, self.subject):
            edit.textChanged.connect(lambda _text: self.erase_button.setEnabled(False))
        form = QFormLayout()
        form.addRow("Study", self.study)
        form.addRow("Participant", self.subject)
        form.addRow("Reason", self.reason)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.state)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(520)
        self.result_of_erasure: erasure.Erasure | None = None

    def _run(self, dry_run: bool) -> None:
        db, store = self.context.db, self.context.store
        study, subject, reason = self.study.text(), self.subject.text(), self.reason.text()
        self.count_button.setEnabled(False)
        self.erase_button.setEnabled(False)

        def work() -> erasure.Erasure:
            return erasure.erase_subject(db, store, study, subject, reason, dry_run=dry_run)

        run_job(work, lambda found: self._done(found, dry_run), self._refused)

    def _done(self, found: erasure.Erasure, dry_run: bool) -> None:
        self.count_button.setEnabled(True)
        what = (
            f"{found.deliveries:,} deliveries ({found.attempts:,} attempts) and "
            f"{found.captures:,} receiver captures"
        )
        if not found.found:
            self._say(f"Nothing about that participant in study {found.study}.", GREEN)
        elif dry_run:
            self._say(f"{what} would be erased. Press Erase to remove them for good.", "")
            self.erase_button.setEnabled(True)
        else:
            self.result_of_erasure = found
            self._say(f"Erased {what}; audit entry {found.audit_entry}.", GREEN)
            self.certificate_button.setEnabled(True)
            self.context.deliveries_changed.emit()

    def _refused(self, sentence: str) -> None:
        self.count_button.setEnabled(True)
        self._say(sentence, RED)

    def _say(self, sentence: str, colour: str) -> None:
        say(self.state, sentence, colour)

    def save_certificate(self, path: str | None = None) -> None:
        if self.result_of_erasure is None:
            return
        if not path:
            path, _ = QFileDialog.getSaveFileName(
                self, "Save the erasure certificate", "erasure-certificate.json", "JSON (*.json)"
            )
        if path:
            try:
                erasure.write_certificate(self.result_of_erasure, self.subject.text(), path)
            except Exception as error:  # UserError: a path that cannot be written
                self._say(str(error), RED)
                return
            self._say(f"Certificate saved: {path}", GREEN)


class RetentionDialog(QDialog):
    """The default policy and one study's, and Purge now (counted first)."""

    def __init__(self, context: AppContext, parent=None):
        super().__init__(parent)
        self.context = context
        self.setWindowTitle("Retention")
        self.study = QLineEdit(placeholderText="empty: the default for every other study")
        self.payload_days, self.metadata_days = _days_box(), _days_box()
        self.state = QLabel()
        self.state.setWordWrap(True)
        self.policies = QLabel()
        self.policies.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.save_button = QPushButton("Save policy")
        self.count_button = QPushButton("Count what a purge removes")
        self.purge_button = QPushButton("Purge now")
        self.purge_button.setEnabled(False)
        for button in (self.save_button, self.count_button, self.purge_button):
            self.buttons.addButton(button, QDialogButtonBox.ButtonRole.ActionRole)
        self.save_button.clicked.connect(self.save)
        self.count_button.clicked.connect(lambda: self.purge(dry_run=True))
        self.purge_button.clicked.connect(lambda: self.purge(dry_run=False))
        self.buttons.rejected.connect(self.reject)
        for box in (self.payload_days, self.metadata_days):
            box.valueChanged.connect(self.check)
        form = QFormLayout()
        form.addRow("Study", self.study)
        form.addRow("Keep payloads (days)", self.payload_days)
        form.addRow("Keep records (days)", self.metadata_days)
        layout = QVBoxLayout(self)
        self.progress = QProgressBar()
        self.progress.setVisible(False)
        self.poll = QTimer(self, interval=PROGRESS_POLL_MS)
        self.poll.timeout.connect(self._show_progress)
        self._done_of = (0, 0)
        layout.addWidget(self.policies)
        layout.addLayout(form)
        layout.addWidget(self.progress)
        layout.addWidget(self.state)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(560)
        self.load()

    def load(self) -> None:
        db = self.context.db

        def work() -> list[retention.Policy]:
            with db.session() as session:
                return retention.policies(session)

        run_job(work, self._show_policies, lambda s: self._say(s, RED))

    def _show_policies(self, policies: list[retention.Policy]) -> None:
        lines = [policy.describe() for policy in policies]
        self.policies.setText("\n".join(lines) or "No retention policy: everything is kept.")

    def values(self) -> tuple[int | None, int | None]:
        return _value(self.payload_days), _value(self.metadata_days)

    def check(self) -> None:
        """The service's sentences as the days are chosen; Save only when they fit."""
        problems = retention.policy_problems(*self.values())
        self._say(" ".join(problems), RED if problems else "")
        self.save_button.setEnabled(not problems)

    def save(self) -> None:
        db, study, (payload, records) = self.context.db, self.study.text(), self.values()

        def work() -> retention.Policy:
            with db.session() as session:
                return retention.set_policy(session, study, payload, records)

        def saved(policy: retention.Policy) -> None:
            self._say(f"Saved the policy for {policy.as_dict()['study']}.", GREEN)
            self.load()

        run_job(work, saved, lambda s: self._say(s, RED))

    def purge(self, dry_run: bool) -> None:
        db = self.context.db
        self.purge_button.setEnabled(False)
        self.progress.setValue(0)
        self.progress.setVisible(not dry_run)
        self._done_of = (0, 0)

        def heard(done: int, total: int) -> None:  # on the worker thread: the poll shows it
            self._done_of = (done, total)

        def work() -> retention.Purge:
            return retention.purge(db, dry_run=dry_run, progress=heard)

        self.poll.start()
        run_job(work, self._purged, self._refused)

    def _show_progress(self) -> None:
        done, total = self._done_of
        if total:
            self.progress.setMaximum(total)
            self.progress.setValue(done)

    def _refused(self, sentence: str) -> None:
        self.poll.stop()
        self._say(sentence, RED)

    def _purged(self, result: retention.Purge) -> None:
        self.poll.stop()
        self._show_progress()
        what = (
            f"{result.payloads:,} payloads (kept as tombstones), {result.records:,} delivery "
            f"records and {result.captures:,} receiver captures"
        )
        if result.dry_run:
            self._say(f"A purge would remove {what}.", "")
            self.purge_button.setEnabled(bool(result.payloads or result.records or result.captures))
        else:
            self._say(f"Removed {what}.", GREEN)
            self.context.deliveries_changed.emit()

    def _say(self, sentence: str, colour: str) -> None:
        say(self.state, sentence, colour)


def say(label: QLabel, sentence: str, colour: str) -> None:
    """A dialog's state line: the sentence, in the colour its meaning has ("" for plain)."""
    label.setText(sentence)
    label.setStyleSheet(text_style(colour) if colour else "")


def _days_box() -> QSpinBox:
    box = QSpinBox()
    box.setRange(0, 36_500)
    box.setSpecialValueText("kept for ever")  # 0 shows as this, and means None
    return box


def _value(box: QSpinBox) -> int | None:
    return box.value() or None
