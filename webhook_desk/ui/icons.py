"""The application's icons: hand-drawn SVGs under resources/icons, cached by name."""

from __future__ import annotations

from functools import cache

from PySide6 import QtSvg  # noqa: F401 - SVG icons need it; it also tells PyInstaller so
from PySide6.QtGui import QIcon

from webhook_desk.settings import resources_dir


@cache
def icon(name: str) -> QIcon:
    path = resources_dir() / "icons" / f"{name}.svg"
    return QIcon(str(path)) if path.exists() else QIcon()
