"""A plain-text JSON editor with syntax colours; read-only when used as a viewer."""

from __future__ import annotations

from PySide6.QtCore import QRegularExpression
from PySide6.QtGui import QColor, QFont, QFontDatabase, QSyntaxHighlighter, QTextCharFormat
from PySide6.QtWidgets import QPlainTextEdit


def _format(colour: str, bold: bool = False) -> QTextCharFormat:
    fmt = QTextCharFormat()
    fmt.setForeground(QColor(colour))
    if bold:
        fmt.setFontWeight(QFont.Weight.Bold)
    return fmt


# Order matters: a key is a string followed by a colon, so keys are painted over strings.
RULES = [
    (r'"(?:[^"\\]|\\.)*"', _format("#1b7f3b")),  # strings
    (r'"(?:[^"\\]|\\.)*"(?=\s*:)', _format("#1f4e8c", bold=True)),  # keys
    (r"-?\b\d+(?:\.\d+)?(?:[eE][+-]?\d+)?\b", _format("#a14d00")),  # numbers
    (r"\b(?:true|false|null)\b", _format("#7b2fa1", bold=True)),
    (r"[{}\[\]]", _format("#6b7280")),
]


class JsonHighlighter(QSyntaxHighlighter):
    def __init__(self, document):
        super().__init__(document)
        self.rules = [(QRegularExpression(pattern), fmt) for pattern, fmt in RULES]

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
