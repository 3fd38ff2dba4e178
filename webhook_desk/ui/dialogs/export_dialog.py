"""Export the filtered history: a format, a file, progress, and Cancel that leaves no half file.

The export runs in a background job; its progress callback only stores numbers, which a
timer here shows, so no signal crosses threads (see ui.jobs).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
)

from webhook_desk.history import export
from webhook_desk.ui.context import AppContext
from webhook_desk.ui.jobs import run_job

FORMAT_LABELS = {
    "csv": "CSV (one row per delivery)",
    "xlsx": "Excel workbook",
    "ndjson": "NDJSON (with bodies and headers)",
    "v3": "CentrePoint v3 JSON pages",
    "v1": "CentrePoint v1 JSON records",
}
SUFFIXES = {"csv": ".csv", "xlsx": ".xlsx", "ndjson": ".ndjson", "v3": ".json", "v1": ".json"}
POLL_MS = 100


class ExportDialog(QDialog):
    def __init__(self, context: AppContext, filters, parent=None):
        super().__init__(parent)
        self.context = context
        self.filters = filters
        self.setWindowTitle("Export history")
        self.setMinimumWidth(520)
        self.format = QComboBox()
        for fmt in export.FORMATS:
            self.format.addItem(FORMAT_LABELS.get(fmt, fmt), fmt)
        self.format.currentIndexChanged.connect(self._format_changed)
        self.path = QLineEdit(str(Path.home() / "webhook-history.csv"))
        browse = QPushButton("Browse…")
        browse.clicked.connect(self.browse)
        path_row = QHBoxLayout()
        path_row.addWidget(self.path, 1)
        path_row.addWidget(browse)
        self.per_attempt = QCheckBox("One row per attempt")
        form = QFormLayout()
        form.addRow("Format", self.format)
        form.addRow("File", path_row)
        form.addRow("", self.per_attempt)
        self.progress = QProgressBar()
        self.progress.hide()
        self.message = QLabel("Exports the deliveries the History filters select.")
        self.message.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.export_button = self.buttons.addButton(
            "Export", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.buttons.accepted.connect(self.start)
        self.buttons.rejected.connect(self.cancel_or_close)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.progress)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        self.timer = QTimer(self, interval=POLL_MS)
        self.timer.timeout.connect(self._show_progress)
        self.running = False
        self._cancel = False
        self._done_total = (0, 0)

    def _format_changed(self) -> None:
        fmt = self.format.currentData()
        self.path.setText(str(Path(self.path.text()).with_suffix(SUFFIXES[fmt])))
        self.per_attempt.setEnabled(fmt in ("csv", "xlsx", "ndjson"))

    def browse(self) -> None:
        chosen, _ = QFileDialog.getSaveFileName(self, "Export to", self.path.text())
        if chosen:
            self.path.setText(chosen)

    def start(self) -> None:
        self.running, self._cancel = True, False
        self.export_button.setEnabled(False)
        self.progress.setRange(0, 0)
        self.progress.show()
        self.message.setText("Exporting…")
        db, filters = self.context.db, self.filters
        fmt, path = self.format.currentData(), self.path.text().strip()
        attempts = self.per_attempt.isChecked() and self.per_attempt.isEnabled()

        def work():
            return export.export(
                db,
                filters,
                fmt,
                path,
                attempts=attempts,
                progress=self._progressed,
                cancelled=lambda: self._cancel,
            )

        self.timer.start()
        run_job(work, self._finished, self._failed)

    def _progressed(self, done: int, total: int) -> None:
        self._done_total = (done, total)  # a worker thread: just store it

    def _show_progress(self) -> None:
        done, total = self._done_total
        if total:
            self.progress.setRange(0, total)
            self.progress.setValue(done)
            self.message.setText(f"Exporting… {done:,} of {total:,}")

    def cancel_or_close(self) -> None:
        if self.running:
            self._cancel = True
            self.message.setText("Cancelling…")
        else:
            self.reject()

    def _stopped(self) -> None:
        self.running = False
        self.timer.stop()
        self.export_button.setEnabled(True)

    def _finished(self, result) -> None:
        self._stopped()
        self.progress.hide()
        if result.cancelled:
            self.message.setText("Cancelled; no file was written.")
            return
        notes = " " + " ".join(result.notes) if result.notes else ""
        self.message.setText(f"Exported {result.rows:,} rows to {result.path}.{notes}")
        self.context.say(f"Exported {result.rows:,} rows to {result.path}.")

    def _failed(self, sentence: str) -> None:
        self._stopped()
        self.progress.hide()
        self.message.setText(sentence)


def open_export_dialog(context, filters, parent) -> ExportDialog:
    dialog = ExportDialog(context, filters, parent)
    dialog.open()
    return dialog
