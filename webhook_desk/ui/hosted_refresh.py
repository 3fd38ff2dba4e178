"""The background refresh of the connected ECG modules: every N minutes (Settings; 0 = off) a
pull of each off the GUI thread, then the tabs reload, the status bar says when it last ran or
why it failed, and newly failed hosted deliveries raise a desktop notification."""

from __future__ import annotations

from datetime import UTC, datetime

from PySide6.QtCore import QObject, QSettings, QTimer
from PySide6.QtWidgets import QLabel, QMainWindow

from webhook_desk.ui.colours import text_style
from webhook_desk.ui.context import AppContext
from webhook_desk.ui.formatting import local_time
from webhook_desk.ui.jobs import network_pool, run_job
from webhook_desk.ui.notifications import notify
from webhook_desk.ui.preferences import Preferences


class HostedRefresh(QObject):
    def __init__(self, window: QMainWindow, context: AppContext, settings: QSettings):
        super().__init__(window)
        self.window, self.context, self.settings = window, context, settings
        self.label = QLabel()  # shown once a refresh has had something to pull
        self.label.setContentsMargins(8, 0, 8, 0)
        self.label.hide()
        window.statusBar().addPermanentWidget(self.label)
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.run)
        self.running = False
        self.configure()

    def configure(self) -> None:
        """Start, restart or stop the timer as Settings say now."""
        minutes = Preferences.load(self.settings).hosted_refresh_minutes
        if minutes > 0:
            self.timer.start(minutes * 60_000)
        else:
            self.timer.stop()

    def run(self) -> None:
        if self.running:
            return  # the last refresh is still pulling: a slow module must not pile them up
        from webhook_desk.platform import ecg_refresh  # requests: not at start-up

        self.running = True
        db, store = self.context.db, self.context.store
        run_job(
            lambda: ecg_refresh.refresh_all(db, store), self._done, self._failed, network_pool()
        )

    def _done(self, report) -> None:
        self.running = False
        if not report.organizations:
            return  # nothing hosted is mirrored here: nothing to say
        self.context.registrations_changed.emit()
        self.context.deliveries_changed.emit()
        if report.problems:
            self._failed(" ".join(report.problems))
        else:
            now = local_time(datetime.now(UTC), "%H:%M")
            self._show(f"Hosted: refreshed {now}", "", "")
        if report.new_failed:
            count = report.new_failed
            what = "delivery" if count == 1 else "deliveries"
            notify(
                self.window,
                "Hosted deliveries failed",
                f"{count} new failed {what} on the ECG module; see History.",
            )

    def _failed(self, sentence: str) -> None:
        self.running = False
        self._show("Hosted: refresh failed", f"The hosted refresh failed: {sentence}", "error")
        self.context.say(self.label.toolTip())

    def _show(self, text: str, why: str, style: str) -> None:
        # The label stays short (a long one would widen the window); the sentence is its tooltip.
        self.label.setText(text)
        self.label.setToolTip(why)
        self.label.setStyleSheet(text_style(style) if style else "")
        self.label.show()
