"""Connect… : pull registrations, the catalog and history from the platform's APIs.

The sync runs in a background job; its progress callback only stores numbers (and raises
SyncCancelled when Cancel was pressed), and a timer here shows them, so no signal crosses
threads (see ui.jobs). A cancelled sync keeps what it fetched; the next one resumes.
"""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QVBoxLayout,
)

from webhook_desk.platform.centrepoint_sync import sync_centrepoint
from webhook_desk.platform.client import PlatformClient
from webhook_desk.platform.ecg_sync import sync_ecg
from webhook_desk.platform.sync import SyncCancelled, api_token
from webhook_desk.ui.context import AppContext
from webhook_desk.ui.jobs import run_job

POLL_MS = 100
PLATFORMS = {"centrepoint": "CentrePoint (study webhooks)", "ecg": "ECG Webhooks Module"}


class ConnectDialog(QDialog):
    def __init__(self, context: AppContext, parent=None):
        super().__init__(parent)
        self.context = context
        self.setWindowTitle("Connect to the platform")
        self.setMinimumWidth(520)
        self.platform = QComboBox()
        for key, label in PLATFORMS.items():
            self.platform.addItem(label, key)
        self.platform.currentIndexChanged.connect(self._platform_changed)
        self.api_url = QLineEdit()
        self.api_url.setPlaceholderText("https://api.example.com")
        self.scope = QLineEdit()
        self.since = QLineEdit()
        self.since.setPlaceholderText("optional, e.g. 2026-11-01T00:00:00")
        self.token = QLineEdit()
        self.token.setEchoMode(QLineEdit.EchoMode.Password)
        self.token.setPlaceholderText("blank: the token kept in the keyring for this host")
        self.form = QFormLayout()
        self.form.addRow("Platform", self.platform)
        self.form.addRow("API URL", self.api_url)
        self.form.addRow("Study ID", self.scope)
        self.form.addRow("Since", self.since)
        self.form.addRow("API token", self.token)
        self.progress = QProgressBar()
        self.progress.hide()
        self.message = QLabel(
            "Pulled registrations are read-only mirrors; history is marked with its source."
        )
        self.message.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.connect_button = self.buttons.addButton(
            "Connect", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.buttons.accepted.connect(self.start)
        self.buttons.rejected.connect(self.cancel_or_close)
        layout = QVBoxLayout(self)
        layout.addLayout(self.form)
        layout.addWidget(self.progress)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        self.timer = QTimer(self, interval=POLL_MS)
        self.timer.timeout.connect(self._show_progress)
        self.running = False
        self._cancel = False
        self._progress: tuple[str, int, int | None] = ("", 0, None)

    def _platform_changed(self) -> None:
        ecg = self.platform.currentData() == "ecg"
        self.form.labelForField(self.scope).setText("Organization ID" if ecg else "Study ID")
        self.since.setEnabled(not ecg)

    def start(self) -> None:
        platform, url = self.platform.currentData(), self.api_url.text().strip()
        scope, since = self.scope.text().strip(), self.since.text().strip() or None
        given = self.token.text().strip() or None
        if not url or not scope:
            what = "organization ID" if platform == "ecg" else "study ID"
            self.message.setText(f"Give the API URL and the {what}.")
            return
        self.running, self._cancel = True, False
        self.connect_button.setEnabled(False)
        self.buttons.button(QDialogButtonBox.StandardButton.Close).setText("Cancel")
        self.progress.setRange(0, 0)
        self.progress.show()
        self.message.setText("Connecting…")
        db, store = self.context.db, self.context.store

        def work():
            token, warning = api_token(store, url, given)
            client = PlatformClient(url, token)
            try:
                if platform == "centrepoint":
                    report = sync_centrepoint(db, client, scope, since, self._progressed)
                else:
                    report = sync_ecg(db, client, scope, self._progressed)
            finally:
                client.close()
            report.warning = warning
            return report

        self.timer.start()
        run_job(work, self._finished, self._failed)

    def _progressed(self, stage: str, done: int, total: int | None) -> None:
        if self._cancel:  # a worker thread: stop between pages
            raise SyncCancelled
        self._progress = (stage, done, total)

    def _show_progress(self) -> None:
        stage, done, total = self._progress
        if not stage:
            return
        if total:
            self.progress.setRange(0, total)
            self.progress.setValue(min(done, total))
            self.message.setText(f"Pulling {stage}… {done:,} of {total:,}")
        else:
            self.progress.setRange(0, 0)
            self.message.setText(f"Pulling {stage}… {done:,}")

    def cancel_or_close(self) -> None:
        if self.running:
            self._cancel = True
            self.message.setText("Cancelling after this page…")
        else:
            self.reject()

    def _stopped(self) -> None:
        self.running = False
        self.timer.stop()
        self.progress.hide()
        self.connect_button.setEnabled(True)
        self.buttons.button(QDialogButtonBox.StandardButton.Close).setText("Close")
        self.token.clear()
        self.context.registrations_changed.emit()
        self.context.deliveries_changed.emit()

    def _finished(self, report) -> None:
        self._stopped()
        text = (
            f"{report.registrations_added} registrations added, "
            f"{report.registrations_updated} updated; {report.records_added:,} history records "
            f"added of {report.records_fetched:,} fetched."
        )
        if report.warning:
            text += " " + report.warning
        self.message.setText(text)
        self.context.say(text)

    def _failed(self, sentence: str) -> None:
        self._stopped()
        self.message.setText(sentence)
