"""The status bar: engine state, queued / in flight / failed in the last hour, receiver address."""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QLabel, QStatusBar

from webhook_desk.ui.colours import text_style
from webhook_desk.ui.context import AppContext
from webhook_desk.ui.dialogs.message import show_error
from webhook_desk.ui.jobs import run_job

REFRESH_MS = 2000
# A stopped or paused engine says how to get it going, where the user sees it stopped.
ENGINE_HINTS = {"stopped": " — Ctrl+Shift+D starts it", "paused": " — Ctrl+P resumes"}
ENGINE_RESTART_ADVICE = "Fix that, then choose Delivery ▸ Start delivering (Ctrl+Shift+D)."


class StatusBar(QStatusBar):
    def __init__(self, context: AppContext, parent=None):
        super().__init__(parent)
        self.context = context
        self.engine_label = QLabel()
        self.counts_label = QLabel("Queued 0 · In flight 0 · Failed (1 h) 0")
        self.receiver_label = QLabel("Receiver: off")
        for label in (self.engine_label, self.counts_label, self.receiver_label):
            label.setContentsMargins(8, 0, 8, 0)
            self.addPermanentWidget(label)
        context.status_message.connect(lambda text: self.showMessage(text, 6000))
        self._busy = False
        self._failure_shown: str | None = None
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.refresh)
        self.timer.start(REFRESH_MS)
        if context.is_open:  # a deferred start counts once the database is open
            self.refresh()
        else:
            self.show_engine_state()
            self.show_receiver_state()

    def refresh(self) -> None:
        self.show_engine_state()
        self.show_receiver_state()
        if self._busy:
            return  # the last count is still running: don't pile up queries
        self._busy = True
        db = self.context.db

        def count():
            from webhook_desk.services import delivery_counts

            with db.session() as session:
                return delivery_counts.counts(session)

        run_job(count, self._show_counts, self._count_failed)

    def _show_counts(self, counts) -> None:
        self._busy = False
        self.counts_label.setText(
            f"Queued {counts.queued} · In flight {counts.in_flight} · "
            f"Failed (1 h) {counts.failed_last_hour}"
        )

    def _count_failed(self, sentence: str) -> None:
        self._busy = False
        self.counts_label.setText(sentence)

    def show_engine_state(self) -> None:
        engine = self.context.engine
        state = engine.state if engine else "stopped"
        failure = engine.failure if engine else None
        if failure is None:
            self.engine_label.setText(f"Engine: {state}{ENGINE_HINTS.get(state, '')}")
            self.engine_label.setToolTip("")
            self.engine_label.setStyleSheet("")
            if state == "running":
                self._failure_shown = None  # a new failure after a restart is told again
            return
        # The label stays short (a long one would widen the window); the sentence is in its
        # tooltip, in the message area and, once, in a dialog.
        advice = f"{failure} {ENGINE_RESTART_ADVICE}"
        self.engine_label.setText("Engine: stopped on an error")
        self.engine_label.setToolTip(advice)
        self.engine_label.setStyleSheet(text_style("error"))
        if failure != self._failure_shown:
            self._failure_shown = failure
            self.showMessage(f"Delivering stopped: {failure}")
            self.failure_box = show_error(self, f"Delivering stopped. {advice}")

    def show_receiver_state(self) -> None:
        receiver = self.context.receiver
        if receiver and receiver.is_running:
            self.receiver_label.setText(f"Receiver: {receiver.url}")
        else:
            self.receiver_label.setText("Receiver: off")
