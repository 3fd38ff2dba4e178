"""Compare two requests side by side: every difference listed, highlighted in both texts, and
stepped through with F8 / Shift+F8. The comparison is worked out off the GUI thread."""

from __future__ import annotations

import json

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QColor, QKeySequence, QShortcut, QTextCursor, QTextFormat
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QInputDialog,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QTextEdit,
    QVBoxLayout,
)

from webhook_desk.services import request_diff
from webhook_desk.ui.colours import text_style
from webhook_desk.ui.context import AppContext
from webhook_desk.ui.jobs import run_job
from webhook_desk.ui.widgets.json_editor import JsonEditor

COLOURS = {"changed": "#f6d98b", "added": "#b7e4c0", "removed": "#f4b6b6"}
SHOWN_VALUE = 60  # characters of a value in the list of differences
# A 1 MB body is ~100,000 lines: put into the view at once it holds the GUI thread for
# seconds, syntax colours and the no-wrap width measure for longer still (measured in
# benchmarks/compare_stall.py); so it goes in a slice per event-loop turn, and a large text
# is shown wrapped and uncoloured (the differences keep their colours).
LINES_PER_SLICE = 1_000
PLAIN_FROM = 200_000  # characters


class CompareDialog(QDialog):
    def __init__(self, context: AppContext, ref_a: str, ref_b: str, parent=None):
        super().__init__(parent)
        self.setWindowTitle(f"Compare {ref_a} and {ref_b}")
        self.resize(1200, 760)
        self.comparison: request_diff.SideBySide | None = None
        self.status = QLabel("Comparing…")
        self.status.setWordWrap(True)
        self.differences = QListWidget()
        self.differences.currentRowChanged.connect(self.show_difference)
        self.panes = (JsonEditor(read_only=True), JsonEditor(read_only=True))
        texts = QSplitter()
        for pane in self.panes:
            texts.addWidget(pane)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.differences)
        split.addWidget(texts)
        split.setSizes([180, 580])
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        self._step_button(buttons, "Previous difference", "Shift+F8", -1)
        self._step_button(buttons, "Next difference", "F8", +1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.status)
        layout.addWidget(split, 1)
        layout.addWidget(buttons)
        db, masking = context.db, context.masking

        def work() -> request_diff.SideBySide:
            with db.session() as session:
                return request_diff.side_by_side(session, ref_a, ref_b, masking)

        run_job(work, self._compared, self._failed)

    def _step_button(self, buttons: QDialogButtonBox, text: str, keys: str, step: int) -> None:
        button = QPushButton(f"{text} ({keys})")
        button.clicked.connect(lambda: self.step(step))
        buttons.addButton(button, QDialogButtonBox.ButtonRole.ActionRole)
        QShortcut(QKeySequence(keys), self, lambda: self.step(step))

    def _compared(self, result: request_diff.SideBySide) -> None:
        self.status.setText("Showing the two requests…")
        slices = []
        for pane, text in zip(self.panes, result.texts, strict=True):
            if len(text) > PLAIN_FROM:
                pane.highlighter.setDocument(None)
                pane.setLineWrapMode(JsonEditor.LineWrapMode.WidgetWidth)
            lines = text.split("\n")
            slices += [
                (pane, "\n".join(lines[i : i + LINES_PER_SLICE]), i == 0)
                for i in range(0, len(lines), LINES_PER_SLICE)
            ]
        self._feed(slices, result)

    def _feed(self, slices: list, result: request_diff.SideBySide) -> None:
        """Put one slice of text in, then let the event loop breathe before the next."""
        if not slices:
            self._show(result)
            return
        pane, text, first = slices.pop(0)
        cursor = QTextCursor(pane.document())
        cursor.movePosition(QTextCursor.MoveOperation.End)
        cursor.insertText(text if first else "\n" + text)
        QTimer.singleShot(0, lambda: self._feed(slices, result))

    def _show(self, result: request_diff.SideBySide) -> None:
        self.comparison = result
        for row in result.rows:
            self.differences.addItem(QListWidgetItem(describe(row)))
        count = len(result.rows)
        head = f"{result.labels[0]} → {result.labels[1]}: "
        head += f"{count} difference{'s' if count != 1 else ''}" if count else "the same"
        self.status.setText("  ·  ".join([head, *result.summary]))
        self._highlight_all(result)
        if count:
            self.differences.setCurrentRow(0)

    def _failed(self, sentence: str) -> None:
        self.status.setText(sentence)
        self.status.setStyleSheet(text_style("error"))

    def step(self, by: int) -> None:
        count = self.differences.count()
        if count:
            self.differences.setCurrentRow((self.differences.currentRow() + by) % count)

    def show_difference(self, row: int) -> None:
        if self.comparison is None or row < 0:
            return
        for pane, line in zip(self.panes, self.comparison.rows[row]["lines"], strict=True):
            if line is not None:
                cursor = QTextCursor(pane.document().findBlockByNumber(line))
                pane.setTextCursor(cursor)
                pane.centerCursor()

    def _highlight_all(self, result: request_diff.SideBySide) -> None:
        """Changed lines amber on both sides, removed red on A, added green on B."""
        for side, pane in enumerate(self.panes):
            marks = []
            for row in result.rows:
                line = row["lines"][side]
                if line is not None:
                    marks.append(_line_mark(pane, line, COLOURS[row["kind"]]))
            pane.setExtraSelections(marks)

    def highlighted_lines(self, side: int) -> dict[int, str]:
        """{line: colour} as painted on one side (what a reader sees; used by tests)."""
        return {
            mark.cursor.blockNumber(): mark.format.background().color().name()
            for mark in self.panes[side].extraSelections()
        }


def _line_mark(pane: JsonEditor, line: int, colour: str) -> QTextEdit.ExtraSelection:
    mark = QTextEdit.ExtraSelection()
    mark.cursor = QTextCursor(pane.document().findBlockByNumber(line))
    mark.format.setBackground(QColor(colour))
    mark.format.setForeground(QColor("#111111"))
    mark.format.setProperty(QTextFormat.Property.FullWidthSelection, True)
    return mark


def describe(row: dict) -> str:
    """One difference for the list: where, what, and the values (shortened)."""
    place = f"{row['where']} {row['path']}"
    old, new = _short(row["old"]), _short(row["new"])
    if row["kind"] == "added":
        return f"+ {place}: {new}"
    if row["kind"] == "removed":
        return f"− {place}: {old}"
    return f"~ {place}: {old} → {new}"


def _short(value) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= SHOWN_VALUE else text[: SHOWN_VALUE - 1] + "…"


def ask_and_compare(context: AppContext, ref: str, parent, keep) -> QInputDialog:
    """Ask what to compare `ref` with (any delivery, attempt or capture), then compare;
    `keep(dialog)` is given the Compare dialog once it opens."""
    ask = QInputDialog(parent)
    ask.setWindowTitle(f"Compare {ref} with…")
    ask.setLabelText("A delivery number or id, attempt:ID, or capture:ID")
    ask.setOkButtonText("Compare")

    def chosen(other: str) -> None:
        if other.strip():
            dialog = CompareDialog(context, ref, other.strip(), parent)
            keep(dialog)
            dialog.open()

    ask.textValueSelected.connect(chosen)
    ask.open()
    return ask
