"""A newly generated secret, shown this once with a copy button; it is never shown again."""

from __future__ import annotations

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
)

from webhook_desk.ui.icons import icon


class SecretDialog(QDialog):
    def __init__(self, title: str, explanation: str, secret: str, parent=None):
        super().__init__(parent)
        self.setWindowTitle(title)
        note = QLabel(
            f"{explanation}<br><b>Copy it now: it will not be shown again.</b> "
            "It is kept only in your system keyring."
        )
        note.setWordWrap(True)
        self.secret_field = QLineEdit(secret)
        self.secret_field.setReadOnly(True)
        self.secret_field.setMinimumWidth(420)
        self.copy_button = QPushButton(icon("copy"), "Copy")
        self.copy_button.clicked.connect(self.copy)
        row = QHBoxLayout()
        row.addWidget(self.secret_field)
        row.addWidget(self.copy_button)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        buttons.accepted.connect(self.accept)
        layout = QVBoxLayout(self)
        layout.addWidget(note)
        layout.addLayout(row)
        layout.addWidget(buttons)

    def copy(self) -> None:
        QGuiApplication.clipboard().setText(self.secret_field.text())
        self.copy_button.setText("Copied")

    def done(self, result: int) -> None:
        self.secret_field.clear()  # don't leave the value lying in a hidden widget
        super().done(result)
