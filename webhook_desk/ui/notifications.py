"""Desktop notifications: through the system tray when there is one, else the status bar."""

from __future__ import annotations

from PySide6.QtWidgets import QMainWindow, QSystemTrayIcon

from webhook_desk.ui.icons import icon

_tray: QSystemTrayIcon | None = None


def notify(window: QMainWindow, title: str, message: str) -> None:
    global _tray
    if QSystemTrayIcon.isSystemTrayAvailable():
        if _tray is None:
            _tray = QSystemTrayIcon(icon("app"), window)
            _tray.show()
        _tray.showMessage(title, message, icon("app"))
    window.statusBar().showMessage(f"{title}: {message}", 15_000)
