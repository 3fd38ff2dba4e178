"""Export the filtered history: a format, a file, progress, and Cancel that leaves no half file.

The export runs in a background job that reports progress and reads Cancel between rows
(see ui.widgets.progress_job).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
)

from webhook_desk.history import export
from webhook_desk.ui.context import AppContext
from webhook_desk.ui.widgets.progress_job import JobDialog

FORMAT_LABELS = {
    "csv": "CSV (one row per delivery)",
    "xlsx": "Excel workbook",
    "ndjson": "NDJSON (with bodies and headers)",
    "v3": "CentrePoint v3 JSON pages",
    "v1": "CentrePoint v1 JSON records",
}
SUFFIXES = {"csv": ".csv", "xlsx": ".xlsx", "ndjson": ".ndjson", "v3": ".json", "v1": ".json"}


class ExportDialog(JobDialog):
    def __init__(self, context: AppContext, filters, parent=None):
        super().__init__(
            "Export history",
            "Exports the deliveries the History filters select.",
            "Export",
            QDialogButtonBox.StandardButton.Cancel,
            parent,
        )
        self.context = context
        self.filters = filters
        self.export_button = self.action_button
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
        self.lay_out(form)

    def _format_changed(self) -> None:
        fmt = self.format.currentData()
        self.path.setText(str(Path(self.path.text()).with_suffix(SUFFIXES[fmt])))
        self.per_attempt.setEnabled(fmt in ("csv", "xlsx", "ndjson"))

    def browse(self) -> None:
        chosen, _ = QFileDialog.getSaveFileName(self, "Export to", self.path.text())
        if chosen:
            self.path.setText(chosen)

    def start(self) -> None:
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
                progress=self.job.report,
                cancelled=self.job.cancelled,
            )

        self.run(work, self._finished, self._failed, "Exporting…")

    def _show_progress(self, done: int, total: int) -> None:
        if total:
            self.progress.setRange(0, total)
            self.progress.setValue(done)
            self.message.setText(f"Exporting… {done:,} of {total:,}")

    def _stopped(self) -> None:
        self.export_button.setEnabled(True)
        self.progress.hide()

    def _finished(self, result) -> None:
        self._stopped()
        if result.cancelled:
            self.message.setText("Cancelled; no file was written.")
            return
        notes = " " + " ".join(result.notes) if result.notes else ""
        self.message.setText(f"Exported {result.rows:,} rows to {result.path}.{notes}")
        self.context.say(f"Exported {result.rows:,} rows to {result.path}.")

    def _failed(self, sentence: str) -> None:
        self._stopped()
        self.message.setText(sentence)


def open_export_dialog(context, filters, parent) -> ExportDialog:
    dialog = ExportDialog(context, filters, parent)
    dialog.open()
    return dialog
