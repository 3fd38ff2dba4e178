"""Run a service call off the GUI thread and hear back on it, through Qt signals.

The callables run in QThreadPool workers, so each one must open its own database session.
A UserError comes back as its sentence; anything else as a sentence naming the fault.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, Signal

from webhook_desk.errors import UserError

log = logging.getLogger(__name__)
_running: set[Job] = set()  # keeps each job's signals alive until it reports back


class _Signals(QObject):
    done = Signal(object)
    failed = Signal(str)


class Job(QRunnable):
    def __init__(self, work: Callable[[], Any]):
        super().__init__()
        self.setAutoDelete(False)
        self.work = work
        self.signals = _Signals()
        self.signals.done.connect(self._forget, Qt.ConnectionType.QueuedConnection)
        self.signals.failed.connect(self._forget, Qt.ConnectionType.QueuedConnection)

    def run(self) -> None:
        try:
            result = self.work()
        except UserError as error:
            self.signals.failed.emit(str(error))
        except Exception as error:  # a bug: say so in the window and keep the traceback in the log
            log.exception("background job failed")
            self.signals.failed.emit(f"Unexpected error: {type(error).__name__}: {error}")
        else:
            self.signals.done.emit(result)

    def _forget(self, _result=None) -> None:
        _running.discard(self)


def run_job(
    work: Callable[[], Any],
    on_done: Callable[[Any], None] | None = None,
    on_error: Callable[[str], None] | None = None,
) -> Job:
    """Start `work` in the pool; `on_done(result)` or `on_error(sentence)` then runs on the
    GUI thread."""
    job = Job(work)
    if on_done:
        job.signals.done.connect(on_done, Qt.ConnectionType.QueuedConnection)
    if on_error:
        job.signals.failed.connect(on_error, Qt.ConnectionType.QueuedConnection)
    _running.add(job)
    QThreadPool.globalInstance().start(job)
    return job


def wait_for_jobs(timeout_ms: int = 30_000) -> bool:
    """Let running jobs finish (on close, and in tests)."""
    return QThreadPool.globalInstance().waitForDone(timeout_ms)
