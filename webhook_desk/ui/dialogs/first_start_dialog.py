"""A first start on an empty database: offer demo data and the built-in receiver in one click."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QProgressBar,
    QSpinBox,
    QVBoxLayout,
)

from webhook_desk.errors import UserError
from webhook_desk.services import demo
from webhook_desk.ui.context import AppContext
from webhook_desk.ui.jobs import run_job

DEFAULT_DELIVERIES = 2_000


class _Progress(QObject):
    """Carries load_demo's progress callback (a worker thread) to the progress bar."""

    advanced = Signal(int, int)


class FirstStartDialog(QDialog):
    loaded = Signal(object)  # demo.DemoResult

    def __init__(self, context: AppContext, parent=None, first_start: bool = True):
        super().__init__(parent)
        self.context = context
        self.setWindowTitle("Welcome to Webhook Desk" if first_start else "Load demo data")
        intro = QLabel(
            ("This database is empty. " if first_start else "")
            + "Load demo data to see the whole loop at once: five registrations (one pointing "
            "at the built-in receiver) and a delivery history to browse."
        )
        intro.setWordWrap(True)
        self.deliveries = QSpinBox()
        self.deliveries.setRange(0, 1_000_000)
        self.deliveries.setSingleStep(1000)
        self.deliveries.setGroupSeparatorShown(True)
        self.deliveries.setValue(DEFAULT_DELIVERIES)
        self.start_receiver = QCheckBox("Start the built-in receiver")
        self.start_receiver.setChecked(True)
        form = QFormLayout()
        form.addRow("History records", self.deliveries)
        form.addRow("", self.start_receiver)
        self.progress = QProgressBar()
        self.progress.hide()
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.buttons = QDialogButtonBox()
        self.load_button = self.buttons.addButton(
            "Load demo data", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.buttons.addButton("Not now", QDialogButtonBox.ButtonRole.RejectRole)
        self.buttons.accepted.connect(self.load)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.progress)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        self.relay = _Progress(self)
        self.relay.advanced.connect(self._advanced)

    def load(self) -> None:
        self.load_button.setEnabled(False)
        self.progress.setRange(0, 0)
        self.progress.show()
        db, store, count = self.context.db, self.context.store, self.deliveries.value()
        relay = self.relay

        def work():
            with db.session() as session:
                return demo.load_demo(
                    session, store, deliveries=count, progress=relay.advanced.emit
                )

        run_job(work, self._done, self._failed)

    def _advanced(self, done: int, total: int) -> None:
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)

    def _done(self, result) -> None:
        note = result.warning or ""
        if self.start_receiver.isChecked() and self.context.receiver is not None:
            try:
                self.context.receiver.start()
            except UserError as error:  # e.g. the port is taken: the data is loaded anyway
                note = f"{note} {error}".strip()
        self.context.registrations_changed.emit()
        self.context.deliveries_changed.emit()
        self.context.say(
            f"Demo data loaded: {result.registrations} registrations, "
            f"{result.deliveries:,} deliveries. {note}".strip()
        )
        self.accept()
        self.loaded.emit(result)

    def _failed(self, sentence: str) -> None:
        self.progress.hide()
        self.message.setText(sentence)
        self.load_button.setEnabled(True)
