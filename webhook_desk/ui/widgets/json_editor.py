"""A plain-text JSON editor with syntax colours; read-only when used as a viewer."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QRegularExpression
from PySide6.QtGui import QFont, QFontDatabase, QSyntaxHighlighter, QTextCharFormat
from PySide6.QtWidgets import QPlainTextEdit

from webhook_desk.ui.colours import qcolour


def _format(colour_name: str, bold: bool = False) -> QTextCharFormat:
    fmt = QTextCharFormat()
    fmt.setForeground(qcolour(colour_name))  # light or dark, as the palette in use
    if bold:
        fmt.setFontWeight(QFont.Weight.Bold)
    return fmt


# Order matters: later rules paint over earlier ones. Strings come after numbers and words,
# so digits inside a string ("4836" in a UUID) stay string-coloured; a key is a string
# followed by a colon, so keys come last.
RULES = [
    (r"-?\b\d+(?:\.\d+)?(?:[eE][+-]?\d+)?\b", "number"),
    (r"\b(?:true|false|null)\b", "keyword"),
    (r"[{}\[\]]", "muted"),
    (r'"(?:[^"\\]|\\.)*"', "ok"),  # strings
    (r'"(?:[^"\\]|\\.)*"(?=\s*:)', "key"),  # keys
]
BOLD = {"key", "keyword"}


class JsonHighlighter(QSyntaxHighlighter):
    def __init__(self, document):
        super().__init__(document)
        self.paint_for_palette()

    def paint_for_palette(self) -> None:
        """Colours for the palette in use (again when the desktop switches light/dark)."""
        self.rules = [
            (QRegularExpression(pattern), _format(name, bold=name in BOLD))
            for pattern, name in RULES
        ]
        self.rehighlight()

    def highlightBlock(self, text: str) -> None:
        for expression, fmt in self.rules:
            matches = expression.globalMatch(text)
            while matches.hasNext():
                match = matches.next()
                self.setFormat(match.capturedStart(), match.capturedLength(), fmt)


class JsonEditor(QPlainTextEdit):
    def __init__(self, read_only: bool = False, parent=None):
        super().__init__(parent)
        self.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.setReadOnly(read_only)
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.setTabStopDistance(self.fontMetrics().horizontalAdvance(" ") * 2)
        self.setTabChangesFocus(True)  # Tab moves to the next field, as everywhere else
        self.highlighter = JsonHighlighter(self.document())

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        highlighter = getattr(self, "highlighter", None)  # None while being built
        if event.type() == QEvent.Type.PaletteChange and highlighter is not None:
            highlighter.paint_for_palette()
