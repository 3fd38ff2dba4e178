"""Confirm a change and say why: the reason goes to the audit trail."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QLineEdit, QVBoxLayout


class ReasonDialog(QDialog):
    """`confirmed(reason)` is emitted when the user accepts; the reason may be empty."""

    confirmed = Signal(str)

    def __init__(self, title: str, question: str, action_text: str, parent=None):
        super().__init__(parent)
        self.setWindowTitle(title)
        self.question = QLabel(question)
        self.question.setWordWrap(True)
        self.reason = QLineEdit()
        self.reason.setPlaceholderText("Reason for the audit trail (optional)")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = self.buttons.addButton(action_text, QDialogButtonBox.ButtonRole.AcceptRole)
        # Enter does the action the user asked for; Escape (not Enter) cancels.
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setAutoDefault(False)
        self.ok_button.setDefault(True)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.question)
        layout.addWidget(self.reason)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(420)

    def accept(self) -> None:
        super().accept()
        self.confirmed.emit(self.reason.text().strip())
