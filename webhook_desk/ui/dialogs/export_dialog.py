"""Export the filtered history: a format, a file, progress, and Cancel that leaves no half file.

The export runs in a background job that reports progress and reads Cancel between rows
(see ui.widgets.progress_job). The format and folder of the last export are remembered.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings
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
    def __init__(
        self, context: AppContext, filters, parent=None, settings: QSettings | None = None
    ):
        super().__init__(
            "Export history",
            "Exports the deliveries the History filters select.",
            "Export",
            QDialogButtonBox.StandardButton.Close,
            parent,
        )
        self.context = context
        self.filters = filters
        self.settings = settings
        self.export_button = self.action_button
        self.close_button = self.buttons.button(QDialogButtonBox.StandardButton.Close)
        self.format = QComboBox()
        for fmt in export.FORMATS:
            self.format.addItem(FORMAT_LABELS.get(fmt, fmt), fmt)
        fmt, folder = self._remembered()
        self.format.setCurrentIndex(max(0, self.format.findData(fmt)))
        self.format.currentIndexChanged.connect(self._format_changed)
        self.path = QLineEdit(str(Path(folder) / f"webhook-history{SUFFIXES[self.fmt]}"))
        browse = QPushButton("Browse…")
        browse.clicked.connect(self.browse)
        path_row = QHBoxLayout()
        path_row.addWidget(self.path, 1)
        path_row.addWidget(browse)
        self.per_attempt = QCheckBox("One row per attempt")
        self.pseudonymise = QCheckBox("Pseudonymise identifying fields")
        self.pseudonymise.setToolTip(
            "Subject ids and the identifying fields of Settings become keyed pseudonyms "
            "(HMAC-SHA256, a salt per study in the keyring): the same participant has the "
            "same pseudonym in every export"
        )
        form = QFormLayout()
        form.addRow("Format", self.format)
        form.addRow("File", path_row)
        form.addRow("", self.per_attempt)
        form.addRow("", self.pseudonymise)
        self.lay_out(form)

    @property
    def fmt(self) -> str:
        return self.format.currentData()

    def _remembered(self) -> tuple[str, str]:
        """The last export's format and folder (csv in the home folder the first time)."""
        if self.settings is None:
            return "csv", str(Path.home())
        fmt = str(self.settings.value("export/format", "csv"))
        folder = str(self.settings.value("export/folder", str(Path.home())))
        return fmt, folder

    def _remember(self, path: Path) -> None:
        if self.settings is not None:
            self.settings.setValue("export/format", self.fmt)
            self.settings.setValue("export/folder", str(path.parent))

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
        salts = self.context.store if self.pseudonymise.isChecked() else None

        def work():
            return export.export(
                db,
                filters,
                fmt,
                path,
                attempts=attempts,
                progress=self.job.report,
                cancelled=self.job.cancelled,
                pseudonymise=salts,
            )

        self.close_button.setText("Cancel")  # while it runs, the button stops it
        self.run(work, self._finished, self._failed, "Exporting…")

    def _show_progress(self, done: int, total: int) -> None:
        if total:
            self.progress.setRange(0, total)
            self.progress.setValue(done)
            self.message.setText(f"Exporting… {done:,} of {total:,}")

    def _stopped(self) -> None:
        self.export_button.setEnabled(True)
        self.close_button.setText("Close")
        self.progress.hide()

    def _finished(self, result) -> None:
        self._stopped()
        if result.cancelled:
            self.message.setText("Cancelled; no file was written.")
            return
        notes = " " + " ".join(result.notes) if result.notes else ""
        how = " pseudonymised" if self.pseudonymise.isChecked() else ""
        done = f"Exported {result.rows:,} rows{how} to {result.path}."
        self.message.setText(done + notes)
        self._remember(Path(result.path))
        self.context.say(done)

    def _failed(self, sentence: str) -> None:
        self._stopped()
        self.message.setText(sentence)


def open_export_dialog(context, filters, parent, settings=None) -> ExportDialog:
    dialog = ExportDialog(context, filters, parent, settings)
    dialog.open()
    return dialog
