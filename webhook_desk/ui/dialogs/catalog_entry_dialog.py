"""New/Edit a catalog entry (a category, an event version with its JSON Schema, or a sample
payload). services/catalog_edits.py checks and saves it; its sentence shows under the form."""

from __future__ import annotations

import json
from collections.abc import Callable

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
)

from webhook_desk.errors import InvalidInput
from webhook_desk.ui.colours import text_style
from webhook_desk.ui.jobs import run_job
from webhook_desk.ui.widgets.json_editor import JsonEditor


def parsed(editor: JsonEditor, what: str):
    """The editor's JSON, or the sentence saying where it is broken."""
    try:
        return json.loads(editor.toPlainText())
    except json.JSONDecodeError as exc:
        raise InvalidInput(
            f"The {what} is not JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}."
        ) from None


class CatalogEntryDialog(QDialog):
    """A form whose Save runs `save(session, fields)` in a job; `saved(what save returned)`
    runs after."""

    def __init__(self, context, title: str, save: Callable, saved: Callable, parent=None):
        super().__init__(parent)
        self.context, self._save, self._saved = context, save, saved
        self.setWindowTitle(title)
        self.form = QFormLayout()
        self.problem = QLabel(wordWrap=True)
        self.problem.setStyleSheet(text_style("error"))
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.save_button = self.buttons.addButton("Save", QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(self.form)
        layout.addWidget(self.problem)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(520)
        self.fields: dict[str, object] = {}

    def line(self, name: str, label: str, text: str | None = "") -> QLineEdit:
        widget = QLineEdit(text or "")
        self.form.addRow(label, widget)
        self.fields[name] = widget
        return widget

    def choice(self, name: str, label: str, items: list[str]) -> QComboBox:
        widget = QComboBox()
        widget.addItems(items)
        self.form.addRow(label, widget)
        self.fields[name] = widget
        return widget

    def json(self, name: str, label: str, document) -> JsonEditor:
        widget = JsonEditor()
        widget.setPlainText(json.dumps(document, indent=2, ensure_ascii=False))
        widget.setMinimumHeight(220)
        self.form.addRow(label, widget)
        self.fields[name] = widget
        return widget

    def values(self) -> dict:
        out = {}
        for name, widget in self.fields.items():
            if isinstance(widget, JsonEditor):
                out[name] = parsed(widget, name.replace("_", " "))
            elif isinstance(widget, QComboBox):
                out[name] = widget.currentText()
            else:
                out[name] = widget.text().strip()
        return out

    def save(self) -> None:
        try:
            values = self.values()
        except InvalidInput as problem:
            self.problem.setText(str(problem))
            return
        db, save = self.context.db, self._save
        self.save_button.setEnabled(False)

        def work():
            with db.session() as session:
                return save(session, values)

        run_job(work, self._done, self._refused)

    def _done(self, result) -> None:
        self._saved(result)
        self.accept()

    def _refused(self, sentence: str) -> None:
        self.problem.setText(sentence)
        self.save_button.setEnabled(True)
