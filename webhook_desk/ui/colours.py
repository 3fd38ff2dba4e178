"""The few colours the window uses for meaning (ok, error, warning, ...), each in a light and a
dark variant: the one fitting the palette in use is chosen when painted, so green status text
and JSON keys stay readable on a dark theme."""

from __future__ import annotations

from PySide6.QtGui import QColor, QGuiApplication, QPalette

# name -> (on a light background, on a dark background)
COLOURS = {
    "ok": ("#1b7f3b", "#6fdc8c"),
    "error": ("#c62828", "#ff8a80"),
    "warning": ("#b26a00", "#ffc061"),
    "muted": ("#6b7280", "#a1a8b3"),
    "key": ("#1f4e8c", "#8cb8ff"),
    "number": ("#a14d00", "#ffb570"),
    "keyword": ("#7b2fa1", "#d7a6ff"),
}


def is_dark() -> bool:
    palette = QGuiApplication.palette()
    return palette.color(QPalette.ColorRole.Base).lightness() < 128


def colour(name: str) -> str:
    """The colour called `name`, as #rrggbb, for the palette in use now."""
    light, dark = COLOURS[name]
    return dark if is_dark() else light


def qcolour(name: str) -> QColor:
    return QColor(colour(name))


def text_style(name: str) -> str:
    """A style sheet colouring a label's text."""
    return f"color: {colour(name)};"
