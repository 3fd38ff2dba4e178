"""The audit trail in the window: filter by object, user, action and dates; each entry's
before and after side by side; and whether the chain is intact (verified off the GUI thread)."""

from __future__ import annotations

import json

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from webhook_desk.history.queries import parse_time, parse_until
from webhook_desk.services import audit
from webhook_desk.ui.colours import text_style
from webhook_desk.ui.context import AppContext
from webhook_desk.ui.formatting import local_time
from webhook_desk.ui.jobs import run_job
from webhook_desk.ui.widgets.json_editor import JsonEditor

COLUMNS = ("When", "User", "Host", "Action", "Object", "Reason")
SHOWN = 2_000  # entries listed at once; the filters narrow it
ANY = "(any)"


class AuditDialog(QDialog):
    def __init__(self, context: AppContext, parent=None):
        super().__init__(parent)
        self.context = context
        self.setWindowTitle("Audit trail")
        self.resize(1100, 720)
        self.rows: list[dict] = []
        self.chain = QLabel("Checking the chain…")
        self.chain.setWordWrap(True)
        self.chain.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._build_filters()
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.verticalHeader().hide()
        self.table.itemSelectionChanged.connect(self._show_selected)
        self.before, self.after = JsonEditor(read_only=True), JsonEditor(read_only=True)
        sides = QSplitter()
        for title, view in (("Before", self.before), ("After", self.after)):
            sides.addWidget(_titled(title, view))
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.table)
        split.addWidget(sides)
        split.setSizes([420, 260])
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.chain)
        layout.addLayout(self.filters)
        layout.addWidget(split, 1)
        layout.addWidget(buttons)
        self._verify()
        self._load_choices()
        self.apply()

    def _build_filters(self) -> None:
        self.entity = QLineEdit(placeholderText="registration, or registration 7")
        self.actor, self.action = QComboBox(), QComboBox()
        self.since = QLineEdit(placeholderText="since 2026-11-01")
        self.until = QLineEdit(placeholderText="until 2026-11-30 (the whole day)")
        self.apply_button = QPushButton("Apply")
        self.apply_button.clicked.connect(self.apply)
        for edit in (self.entity, self.since, self.until):
            edit.returnPressed.connect(self.apply)
        self.filters = QHBoxLayout()
        for label, widget in (
            ("Object", self.entity),
            ("User", self.actor),
            ("Action", self.action),
            ("", self.since),
            ("", self.until),
        ):
            if label:
                self.filters.addWidget(QLabel(label))
            self.filters.addWidget(widget, 1)
        self.filters.addWidget(self.apply_button)

    def _load_choices(self) -> None:
        db = self.context.db

        def load() -> dict[str, list[str]]:
            with db.session() as session:
                return audit.vocabulary(session)

        def fill(found: dict[str, list[str]]) -> None:
            for combo, words in ((self.actor, found["actors"]), (self.action, found["actions"])):
                combo.clear()
                combo.addItems([ANY, *words])

        run_job(load, fill, self._say)

    def _verify(self) -> None:
        db = self.context.db

        def verify() -> audit.ChainState:
            with db.session() as session:
                return audit.verify(session)

        run_job(verify, self._show_chain, self._say)

    def _show_chain(self, state: audit.ChainState) -> None:
        self.chain_state = state
        if state.ok:
            head = state.head_hash[:16] or "(empty)"
            self.chain.setText(f"Chain intact: {state.entries:,} entries · head {head}…")
            self.chain.setStyleSheet(text_style("ok"))
        else:
            self.chain.setText(f"Chain broken: {state.problem}")
            self.chain.setStyleSheet(text_style("error") + " font-weight: bold;")

    def apply(self) -> None:
        """List the entries the filters match (the service's sentence for a bad date)."""
        db = self.context.db
        entity, actor, action = self.entity.text(), _chosen(self.actor), _chosen(self.action)
        since_text, until_text = self.since.text(), self.until.text()

        def load() -> list[dict]:
            since = parse_time(since_text, "Since")
            until = parse_until(until_text, "Until")
            with db.session() as session:
                found = audit.entries(session, SHOWN, entity, actor, action, since, until)
                return [audit.as_dict(entry) for entry in found]

        run_job(load, self._show_rows, self._say)

    def _show_rows(self, rows: list[dict]) -> None:
        self.rows = rows
        self.table.setRowCount(len(rows))
        for index, row in enumerate(rows):
            cells = (
                local_time(row["at"]),
                row["actor"],
                row["host"] or "",
                row["action"],
                f"{row['entity_type']} {row['entity_id']}",
                row["reason"] or "",
            )
            for column, text in enumerate(cells):
                self.table.setItem(index, column, QTableWidgetItem(text))
        self.table.resizeColumnsToContents()
        self.before.clear()
        self.after.clear()

    def _show_selected(self) -> None:
        selected = self.table.selectionModel().selectedRows()
        if not selected:
            return
        row = self.rows[selected[0].row()]
        for view, value in ((self.before, row["before"]), (self.after, row["after"])):
            view.setPlainText(json.dumps(value, indent=2, ensure_ascii=False) if value else "")

    def _say(self, sentence: str) -> None:
        self.chain.setText(sentence)
        self.chain.setStyleSheet(text_style("error"))


def _chosen(combo: QComboBox) -> str | None:
    text = combo.currentText()
    return None if text in ("", ANY) else text


def _titled(title: str, view: JsonEditor) -> QWidget:
    box = QWidget()
    layout = QVBoxLayout(box)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(QLabel(title))
    layout.addWidget(view)
    return box
