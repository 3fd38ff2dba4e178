"""Resend all matching: count first (a dry run), ask, then queue them with progress and Cancel.

Each batch is its own transaction (see resend.resend_matching), so a cancel keeps the
batches already queued and the dialog says how many that was. During the ECG module's
retries, Cancel (or closing the dialog) stops them after the one in flight and leaves the
job open, so resending all matching again retries only the rest.
"""

from __future__ import annotations

from PySide6.QtWidgets import QDialogButtonBox

from webhook_desk.services import resend
from webhook_desk.ui.context import AppContext
from webhook_desk.ui.widgets.progress_job import JobDialog

CLOSE = QDialogButtonBox.StandardButton.Cancel  # relabelled Close once nothing runs


class ResendAllDialog(JobDialog):
    def __init__(self, context: AppContext, filters, parent=None):
        super().__init__("Resend all matching", "", "Resend", CLOSE, parent)
        self.context = context
        self.filters = filters
        self.found: resend.BulkResend | None = None
        self.action_button.setEnabled(False)
        self.lay_out(None)
        self._count()

    def _count(self) -> None:
        db, filters, cancelled = self.context.db, self.filters, self.job.cancelled

        def work():
            with db.session() as session:
                return resend.resend_matching(session, filters, dry_run=True, cancelled=cancelled)

        self.run(work, self._counted, self._failed, "Counting the matching deliveries…")

    @property
    def sendable(self) -> int:
        """Queued here, or retried by the ECG module they were pulled from."""
        found = self.found
        return found.local + len(found.hosted) if found else 0

    def _counted(self, found: resend.BulkResend) -> None:
        self.progress.hide()
        if found.cancelled:
            self._done("Cancelled before anything was queued.")
            return
        self.found = found
        if self.sendable == 0:
            self._done(f"None of the {found.matched:,} matching deliveries can be resent.")
            return
        self.message.setText(
            f"Resend {self.sendable:,} of the {found.matched:,} matching deliveries? "
            + resend.summary(found, dry_run=True)
        )
        self.action_button.setEnabled(True)
        self.action_button.setDefault(True)

    def start(self) -> None:
        db, store, filters, job = self.context.db, self.context.store, self.filters, self.job

        def work():
            with db.session() as session:
                result = resend.resend_matching(
                    session, filters, progress=job.report, cancelled=job.cancelled
                )
            if result.cancelled or not result.hosted:
                return result, 0, []
            from webhook_desk.platform import ecg_activity_writes as activity  # requests

            def connect(hosted):
                return activity.connected(db, store, hosted)

            def retrying(tried: int) -> None:
                job.report(result.matched, result.queued, tried, len(result.hosted))

            retries = activity.retry_each(
                db, connect, result, progress=retrying, cancelled=job.cancelled
            )
            return result, *retries

        self.run(work, self._resent, self._failed, "Queuing deliveries again…")

    def _show_progress(self, matched: int, queued: int, tried=None, hosted: int = 0) -> None:
        """Queuing here, then (with `tried` of `hosted`) the ECG module's retries one by one."""
        if tried is None:
            total = self.found.matched if self.found else 0  # counted before Resend
            self.progress.setRange(0, total)
            self.progress.setValue(min(matched, total))
            self.message.setText(f"Queued {queued:,} of {self.sendable:,}…")
            return
        self.progress.setRange(0, hosted)
        self.progress.setValue(min(tried, hosted))
        self.message.setText(f"Retried {tried:,} of {hosted:,} through the ECG module…")

    def _resent(self, outcome: tuple[resend.BulkResend, int, list[str]]) -> None:
        result, retried, failed = outcome
        tried = retried + len(failed)
        if result.cancelled:
            text = f"Cancelled: {result.queued:,} deliveries were queued again, the rest were not."
        elif tried < len(result.hosted):
            text = resend.stopped(result, tried)
        else:
            text = resend.summary(result, False, retried, failed)
        self._done(text)
        self.context.say(text)
        if result.queued or retried:
            self.context.deliveries_changed.emit()

    def reject(self) -> None:
        """Closing the dialog stops the work as Cancel does (after the step in flight)."""
        self.job.cancel()
        super().reject()

    def _failed(self, sentence: str) -> None:
        self._done(sentence)

    def _done(self, text: str) -> None:
        self.progress.hide()
        self.message.setText(text)
        self.action_button.setEnabled(False)
        self.buttons.button(CLOSE).setText("Close")
