"""Import the history that CentrePoint exports (v3 pages or v1 records), as `webhook-desk
import FILE` does: a file, progress, and the importer's own sentence for a file it refuses
(nothing from such a file is kept). The folder of the last import is remembered."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import (
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
)

from webhook_desk.history.importer import import_file
from webhook_desk.ui.context import AppContext
from webhook_desk.ui.widgets.progress_job import JobDialog


class ImportDialog(JobDialog):
    def __init__(self, context: AppContext, parent=None, settings: QSettings | None = None):
        super().__init__(
            "Import history",
            "Adds CentrePoint v3 history pages or v1 history records from a JSON file. "
            "Deliveries already present are not added twice.",
            "Import",
            QDialogButtonBox.StandardButton.Close,
            parent,
        )
        self.context = context
        self.settings = settings
        self.import_button = self.action_button
        self.path = QLineEdit()
        self.path.setPlaceholderText("a .json file exported from CentrePoint")
        self.path.textChanged.connect(self._path_changed)
        browse = QPushButton("Browse…")
        browse.clicked.connect(self.browse)
        row = QHBoxLayout()
        row.addWidget(self.path, 1)
        row.addWidget(browse)
        form = QFormLayout()
        form.addRow("File", row)
        self.lay_out(form)
        self._path_changed()

    def _folder(self) -> str:
        remembered = self.settings.value("import/folder") if self.settings else None
        return str(remembered or Path.home())

    def _path_changed(self) -> None:
        self.import_button.setEnabled(bool(self.path.text().strip()) and not self.running)

    def browse(self) -> None:
        chosen, _ = QFileDialog.getOpenFileName(
            self, "Import history", self._folder(), "JSON (*.json);;All files (*)"
        )
        if chosen:
            self.path.setText(chosen)

    def start(self) -> None:
        path, db = Path(self.path.text().strip()), self.context.db
        self.run(
            lambda: import_file(db, path, progress=self.job.report),
            self._finished,
            self._failed,
            f"Importing {path.name}…",
        )

    def cancel_or_close(self) -> None:
        if not self.running:  # one transaction: it cannot stop halfway, nor lose anything
            self.reject()

    def _show_progress(self, done: int, total: int) -> None:
        if total:
            self.progress.setRange(0, total)
            self.progress.setValue(done)
            self.message.setText(f"Importing… {done:,} of {total:,} deliveries")

    def _finished(self, result) -> None:
        self.progress.hide()
        self._path_changed()
        self.message.setText(result.summary())
        if self.settings is not None:
            self.settings.setValue("import/folder", str(Path(result.path).parent))
        self.context.say(result.summary())
        self.context.deliveries_changed.emit()

    def _failed(self, sentence: str) -> None:
        self.progress.hide()
        self._path_changed()
        self.message.setText(sentence)
