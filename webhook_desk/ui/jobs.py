"""Run a service call off the GUI thread and hear back on it, through Qt signals.

The callables run in QThreadPool workers, so each one must open its own database session;
`run_query` does that for a read of the database (every tab's loads go through it).
A UserError comes back as its sentence (worded for the window by ui.wording); anything
else as a sentence naming the fault.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, QTimer, Signal

from webhook_desk.errors import UserError
from webhook_desk.ui.wording import for_window

log = logging.getLogger(__name__)
_running: set[Job] = set()  # keeps each job's signals alive until it reports back


_worker = threading.local()
WORKER_NICENESS = 5  # above the GUI thread's 0


def _yield_cpu_to_the_window() -> None:
    """Once per pool thread: a lower CPU priority than the GUI thread's. On a busy machine
    a query scanning a million rows otherwise takes the core the window needs to answer
    (stalls of 0.5 s were measured with the GUI thread idle in the event loop). Linux gives
    each thread its own nice value; elsewhere this does nothing."""
    if getattr(_worker, "niced", False):
        return
    _worker.niced = True
    if sys.platform.startswith("linux"):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), WORKER_NICENESS)


class _Signals(QObject):
    # No Python object crosses threads inside a signal: PySide6 (6.12) miscounts references
    # to objects carried by queued signals and the process can die with "deallocating None".
    # The result stays on the job; the signal only says it is there.
    done = Signal()
    failed = Signal()


class Job(QRunnable):
    def __init__(self, work: Callable[[], Any], on_done=None, on_error=None):
        super().__init__()
        self.setAutoDelete(False)
        self.work = work
        self.on_done = on_done
        self.on_error = on_error
        self.result: Any = None
        self.error: str = ""
        self.signals = _Signals()
        self.signals.done.connect(self._done, Qt.ConnectionType.QueuedConnection)
        self.signals.failed.connect(self._failed, Qt.ConnectionType.QueuedConnection)

    def run(self) -> None:
        _yield_cpu_to_the_window()
        try:
            result = self.work()
        except UserError as error:
            self.error = for_window(error)
            self.signals.failed.emit()
        except Exception as error:  # a bug: say so in the window and keep the traceback in the log
            log.exception("background job failed")
            self.error = f"Unexpected error: {type(error).__name__}: {error}"
            self.signals.failed.emit()
        else:
            self.result = result
            self.signals.done.emit()

    def _done(self) -> None:
        self._release_later()
        if self.on_done and _alive(self.on_done):
            self.on_done(self.result)

    def _failed(self) -> None:
        self._release_later()
        if self.on_error and _alive(self.on_error):
            self.on_error(self.error)

    def _release_later(self) -> None:
        # Dropping the last reference here would free the signals object while it is still
        # delivering this very signal; let the event loop drop it once delivery is over.
        QTimer.singleShot(0, lambda: _running.discard(self))


def _alive(callback: Callable) -> bool:
    """False when the callback belongs to a widget that was closed and deleted meanwhile (a
    window shut while its query ran): its answer has nowhere to go."""
    owner = getattr(callback, "__self__", None)
    return not isinstance(owner, QObject) or shiboken6.isValid(owner)


def run_job(
    work: Callable[[], Any],
    on_done: Callable[[Any], None] | None = None,
    on_error: Callable[[str], object] | None = None,
    pool: QThreadPool | None = None,
) -> Job:
    """Start `work` in the pool (the global one unless `pool`); `on_done(result)` or
    `on_error(sentence)` then runs on the GUI thread."""
    job = Job(work, on_done, on_error)
    _running.add(job)
    (pool or QThreadPool.globalInstance()).start(job)
    return job


NETWORK_THREADS = 4
_network: QThreadPool | None = None


def network_pool() -> QThreadPool:
    """The pool for jobs that wait on another machine (a hosted module's answers, which may
    take minutes of retries): a silent module then holds up none of the window's own reads,
    which share the global pool's one thread per core."""
    global _network
    if _network is None:
        _network = QThreadPool()
        _network.setMaxThreadCount(NETWORK_THREADS)
    return _network


def run_query(
    db,
    read: Callable[[Any], Any],
    on_done: Callable[[Any], None] | None = None,
    on_error: Callable[[str], object] | None = None,
) -> Job:
    """Run `read(session)` in the pool, in a session of its own, so no query holds up the
    window; `on_done(result)` or `on_error(sentence)` then runs on the GUI thread. What
    `read` returns must not need the session any more (plain values, or loaded objects)."""

    def work():
        with db.session() as session:
            return read(session)

    return run_job(work, on_done, on_error)


def wait_for_jobs(timeout_ms: int = 30_000) -> bool:
    """Let running jobs finish (on close, and in tests)."""
    network = _network is None or _network.waitForDone(timeout_ms)
    return QThreadPool.globalInstance().waitForDone(timeout_ms) and network
