"""The few colours the window uses for meaning (ok, error, warning, ...), each in a light and a
dark variant: the one fitting the palette in use is chosen when painted, so green status text
and JSON keys stay readable on a dark theme."""

from __future__ import annotations

from PySide6.QtGui import QColor, QGuiApplication, QPalette

# name -> (on a light background, on a dark background)
COLOURS = {
    "ok": ("#1b7f3b", "#6fdc8c"),
    "error": ("#c62828", "#ff8a80"),
    "warning": ("#995a00", "#ffc061"),
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


def dark_palette() -> QPalette:
    """A dark palette like a desktop's dark theme (for screenshots and tests of it)."""
    palette = QPalette()
    for role, value in (
        (QPalette.ColorRole.Window, "#2b2d31"),
        (QPalette.ColorRole.WindowText, "#e6e6e6"),
        (QPalette.ColorRole.Base, "#1e1f22"),
        (QPalette.ColorRole.AlternateBase, "#26282c"),
        (QPalette.ColorRole.Text, "#e6e6e6"),
        (QPalette.ColorRole.Button, "#35373c"),
        (QPalette.ColorRole.ButtonText, "#e6e6e6"),
        (QPalette.ColorRole.Highlight, "#3d6fb6"),
        (QPalette.ColorRole.HighlightedText, "#ffffff"),
        (QPalette.ColorRole.ToolTipBase, "#35373c"),
        (QPalette.ColorRole.ToolTipText, "#e6e6e6"),
        (QPalette.ColorRole.PlaceholderText, "#9096a0"),
        (QPalette.ColorRole.Link, "#8cb8ff"),
    ):
        palette.setColor(role, QColor(value))
    for role in (
        QPalette.ColorRole.Text,
        QPalette.ColorRole.WindowText,
        QPalette.ColorRole.ButtonText,
    ):
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor("#7c818a"))
    return palette
