"""Long work with a progress bar and Cancel: the shared body of the Connect, Export and
Resend-all dialogs.

The work runs in a background job (see ui.jobs); its progress callback only stores the
latest numbers and a timer here shows them, so no signal crosses threads. Cancel sets a flag
that the work reads between its steps.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QProgressBar, QVBoxLayout

from webhook_desk.ui.jobs import run_job
from webhook_desk.ui.widgets.grow_to_fit import grow_to_fit

POLL_MS = 100


class ProgressJob(QObject):
    """One background job at a time, its progress shown by `show(*numbers)` every POLL_MS."""

    def __init__(self, show: Callable[..., None], parent: QObject):
        super().__init__(parent)
        self.show = show
        self.running = False
        self.cancel_requested = False
        self._latest: tuple | None = None
        self.timer = QTimer(self, interval=POLL_MS)
        self.timer.timeout.connect(self._tick)

    def start(
        self,
        work: Callable[[], Any],
        on_done: Callable[[Any], None],
        on_error: Callable[[str], None],
    ) -> None:
        self.running, self.cancel_requested, self._latest = True, False, None
        self.timer.start()
        run_job(work, lambda result: self._end(on_done, result), lambda s: self._end(on_error, s))

    def report(self, *numbers) -> None:
        """The work's progress callback (a worker thread): just store the numbers."""
        self._latest = numbers

    def cancelled(self) -> bool:
        """The work's cancel check (a worker thread)."""
        return self.cancel_requested

    def cancel(self) -> None:
        self.cancel_requested = True

    def _tick(self) -> None:
        # Once Cancel is pressed the dialog says "Cancelling…" until the work stops.
        if self._latest is not None and not self.cancel_requested:
            self.show(*self._latest)

    def _end(self, then: Callable[[Any], None], value) -> None:
        self.running = False
        self.timer.stop()
        then(value)


class JobDialog(QDialog):
    """A form over a progress bar, a message and buttons. The action button runs `start`;
    the rejecting button (Close or Cancel) cancels the job while it runs, else closes."""

    cancelling_text = "Cancelling…"

    def __init__(self, title: str, note: str, action: str, close_button, parent=None):
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setMinimumWidth(520)
        self.progress = QProgressBar()
        self.progress.hide()
        self.message = QLabel(note)
        self.message.setWordWrap(True)
        self.buttons = QDialogButtonBox(close_button)
        self.action_button = self.buttons.addButton(action, QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.accepted.connect(self.start)
        self.buttons.rejected.connect(self.cancel_or_close)
        self.job = ProgressJob(self._progress, self)

    def lay_out(self, form) -> None:
        """The dialog's own fields (a layout, or None) above the shared progress part."""
        layout = QVBoxLayout(self)
        if form is not None:
            layout.addLayout(form)
        layout.addWidget(self.progress)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)

    @property
    def running(self) -> bool:
        return self.job.running

    def run(self, work, on_done, on_error, message: str) -> None:
        """Start `work` with the action disabled and a busy bar until numbers arrive."""
        self.action_button.setEnabled(False)
        self.progress.setRange(0, 0)
        self.progress.show()
        self.message.setText(message)
        grow_to_fit(self)
        self.job.start(work, self._then(on_done), self._then(on_error))

    def _then(self, callback):
        """`callback`, then room for whatever sentence it left in the message."""

        def call(value) -> None:
            callback(value)
            grow_to_fit(self)

        return call

    def _progress(self, *numbers) -> None:
        self._show_progress(*numbers)
        grow_to_fit(self)

    def start(self) -> None:
        raise NotImplementedError

    def _show_progress(self, *numbers) -> None:
        raise NotImplementedError

    def cancel_or_close(self) -> None:
        if self.running:
            self.job.cancel()
            self.message.setText(self.cancelling_text)
            grow_to_fit(self)
        else:
            self.reject()
