"""Telling the user a sentence, without blocking the event loop."""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox, QWidget


def show_error(parent: QWidget, sentence: str) -> QMessageBox:
    box = QMessageBox(
        QMessageBox.Icon.Warning, "Webhook Desk", sentence, QMessageBox.StandardButton.Ok, parent
    )
    box.setObjectName("error_message")
    box.open()
    return box
