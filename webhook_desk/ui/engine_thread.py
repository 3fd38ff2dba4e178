"""The delivery engine in a QThread: its callbacks become Qt signals for the window.

The engine is plain Python and runs its own pool of sending threads; this wrapper only gives
its claiming loop a thread of its own and turns its progress hooks into signals, which Qt
queues onto the GUI thread. Stopping waits for the requests on the wire to be recorded and
gives back claimed work not yet sent, so closing the window loses nothing.
"""

from __future__ import annotations

import logging
import threading
from collections import deque

from PySide6.QtCore import QObject, QThread, Signal

from webhook_desk.engine.worker import AttemptReport, Callbacks, Engine
from webhook_desk.errors import UserError
from webhook_desk.services import delivery_engine
from webhook_desk.ui.wording import for_window

log = logging.getLogger(__name__)
STOP_WAIT_MS = 60_000
REPORTS_KEPT = 10_000  # in-flight requests time out after 15 s; recording takes a moment more


class _Loop(QThread):
    def __init__(self, engine: Engine, stop_event: threading.Event, parent=None):
        super().__init__(parent)
        self.engine = engine
        self.stop_event = stop_event
        self.failure: str | None = None  # why it stopped, when it was not asked to

    def run(self) -> None:
        # The window must learn the engine died and why, not just see "stopped".
        try:
            self.engine.run_forever(self.stop_event)
        except UserError as error:
            self.failure = for_window(error)
        except Exception as error:
            log.exception("the delivery engine stopped on an error")
            self.failure = (
                f"Delivering stopped on an unexpected error ({error}); the log has details."
            )


class EngineThread(QObject):
    # Signals carry no Python objects across threads (see ui.jobs): reports wait in a deque.
    attempt_recorded = Signal()
    claimed = Signal(int)
    idle = Signal()
    registration_disabled = Signal(int)
    error = Signal(str)
    state_changed = Signal(str)

    def __init__(self, db, store, workers: int = 4, parent=None, **engine_options):
        super().__init__(parent)
        callbacks = Callbacks(
            claimed=self.claimed.emit,
            attempt_recorded=self._recorded,
            idle=self.idle.emit,
            registration_disabled=self.registration_disabled.emit,
            error=self.error.emit,
        )
        self.engine = delivery_engine.new_engine(
            db, store, workers=workers, callbacks=callbacks, **engine_options
        )
        self._stop_event = threading.Event()
        self._loop: _Loop | None = None
        self.reports: deque[AttemptReport] = deque(maxlen=REPORTS_KEPT)
        self._signalled = False

    def _recorded(self, report: AttemptReport) -> None:
        self.reports.append(report)
        # One signal per batch, not per attempt: each queued signal costs the GUI thread a
        # wake-up and a turn at the GIL, and thousands a second make the window stutter.
        if not self._signalled:
            self._signalled = True
            self.attempt_recorded.emit()

    def take_reports(self) -> list[AttemptReport]:
        """The attempts recorded since the last call (the newest REPORTS_KEPT at most)."""
        self._signalled = False  # before draining: a report appended after this signals again
        taken = []
        while self.reports:
            taken.append(self.reports.popleft())
        return taken

    @property
    def state(self) -> str:
        if self._loop is None or not self._loop.isRunning():
            return "stopped"
        if self._stop_event.is_set():
            return "stopping"
        return "paused" if self.engine.paused else "running"

    @property
    def failure(self) -> str | None:
        """Why the engine stopped on its own (None while running or after a normal stop)."""
        return self._loop.failure if self._loop is not None and not self.is_running else None

    @property
    def is_running(self) -> bool:
        return self._loop is not None and self._loop.isRunning()

    def start(self) -> None:
        if self.is_running:
            return
        self._stop_event.clear()
        self._loop = _Loop(self.engine, self._stop_event)
        self._loop.finished.connect(lambda: self.state_changed.emit(self.state))
        self._loop.start()
        self.state_changed.emit("running")

    def pause(self) -> None:
        self.engine.pause()
        self.state_changed.emit(self.state)

    def resume(self) -> None:
        self.engine.resume()
        self.state_changed.emit(self.state)

    def stop(self, wait_ms: int = STOP_WAIT_MS) -> bool:
        """Stop and wait until everything in flight is recorded; True when it finished."""
        if self._loop is None:
            return True
        self._stop_event.set()
        self.engine.stop()
        finished = self._loop.wait(wait_ms)
        self.state_changed.emit(self.state)
        return finished
