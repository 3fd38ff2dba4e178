"""Connect… : pull registrations, the catalog and history from the platform's APIs.

The sync runs in a background job (see ui.widgets.progress_job); its progress callback raises
SyncCancelled when Cancel was pressed. A cancelled sync keeps what it fetched; the next one
resumes.
"""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QDialogButtonBox, QFormLayout, QLineEdit

from webhook_desk.platform.centrepoint_sync import sync_centrepoint
from webhook_desk.platform.client import PlatformClient
from webhook_desk.platform.ecg_sync import sync_ecg
from webhook_desk.platform.sync import SyncCancelled, api_token
from webhook_desk.ui.context import AppContext
from webhook_desk.ui.widgets.progress_job import JobDialog

PLATFORMS = {"centrepoint": "CentrePoint (study webhooks)", "ecg": "ECG Webhooks Module"}


class ConnectDialog(JobDialog):
    cancelling_text = "Cancelling after this page…"

    def __init__(self, context: AppContext, parent=None):
        super().__init__(
            "Connect to the platform",
            "Pulled registrations are mirrors (an ECG module's are changed there first, "
            "CentrePoint's are read-only); history is marked with its source.",
            "Connect",
            QDialogButtonBox.StandardButton.Close,
            parent,
        )
        self.context = context
        self.connect_button = self.action_button
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
        self.lay_out(self.form)

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
        self.buttons.button(QDialogButtonBox.StandardButton.Close).setText("Cancel")
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

        self.run(work, self._finished, self._failed, "Connecting…")

    def _progressed(self, stage: str, done: int, total: int | None) -> None:
        if self.job.cancelled():  # a worker thread: stop between pages
            raise SyncCancelled
        self.job.report(stage, done, total)

    def _show_progress(self, stage: str, done: int, total: int | None) -> None:
        if total:
            self.progress.setRange(0, total)
            self.progress.setValue(min(done, total))
            self.message.setText(f"Pulling {stage}… {done:,} of {total:,}")
        else:
            self.progress.setRange(0, 0)
            self.message.setText(f"Pulling {stage}… {done:,}")

    def _stopped(self) -> None:
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
