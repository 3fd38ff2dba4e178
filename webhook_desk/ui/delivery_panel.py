"""The History tab's detail panel: one delivery, its chain of attempts, and each attempt's
request and response in full (headers, pretty bodies). Identifying values in the bodies are
masked by the rule of services/identifying.py until the user asks to reveal them (the tab
audits the reveal, then calls `show_revealed`)."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from webhook_desk.services.identifying import Masking
from webhook_desk.ui.colours import text_style
from webhook_desk.ui.formatting import header_lines, local_time, pretty_body
from webhook_desk.ui.widgets.json_editor import JsonEditor


def _attempt_line(a: dict) -> str:
    outcome = str(a["response_code"]) if a["response_code"] is not None else "no answer"
    took = f" · {a['duration_ms']} ms" if a["duration_ms"] is not None else ""
    error = f" · {a['error']}" if a["error"] else ""
    return f"#{a['number']}  {local_time(a['started_at'])}  {outcome}{took}{error}"


def _headers_view() -> QPlainTextEdit:
    view = QPlainTextEdit(readOnly=True)
    view.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
    return view


class DeliveryPanel(QWidget):
    reveal_requested = Signal(int)  # the delivery whose identifiers the user asked to see

    def __init__(self, parent=None):
        super().__init__(parent)
        self.masking = Masking()
        self.revealed = False  # this delivery's identifiers shown in full
        self.reveal_button = QPushButton("Reveal identifiers")
        self.reveal_button.setToolTip(
            "Show this delivery's identifying fields in full; each reveal is recorded in "
            "the audit trail"
        )
        self.reveal_button.clicked.connect(self._ask_reveal)
        self.summary = QLabel()
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.summary.setWordWrap(True)
        self.attempts = QListWidget()
        self.attempts.currentRowChanged.connect(self._show_attempt)
        self.request_headers = _headers_view()
        self.request_body = JsonEditor(read_only=True)
        self.response_headers = _headers_view()
        self.response_body = JsonEditor(read_only=True)
        self.tabs = QTabWidget()
        self._splits: dict[str, QSplitter] = {}
        for title, headers, body in (
            ("Request", self.request_headers, self.request_body),
            ("Response", self.response_headers, self.response_body),
        ):
            split = QSplitter(Qt.Orientation.Vertical)
            split.addWidget(headers)
            split.addWidget(body)
            split.setSizes([120, 240])
            self.tabs.addTab(split, title)
            self._splits[title.lower()] = split
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.summary)
        attempts_row = QHBoxLayout()
        attempts_row.addWidget(QLabel("Attempts"), 1)
        attempts_row.addWidget(self.reveal_button)
        layout.addLayout(attempts_row)
        layout.addWidget(self.attempts)
        layout.addWidget(self.tabs, 1)
        self.attempts.setMaximumHeight(110)
        self.record: dict | None = None
        self.show_delivery(None)

    def splitters(self) -> dict[str, QSplitter]:
        """The request and response splitters (headers over body), for remembering."""
        return dict(self._splits)

    def show_delivery(self, record: dict | None) -> None:
        if record is not None and record == self.record:
            return  # read again unchanged: keep the attempt and scroll position in view
        if record is None or self.record is None or record["id"] != self.record["id"]:
            self.revealed = False
        self.record = record
        self._show_reveal_button()
        self.attempts.clear()
        if record is None:
            self.summary.setText("Select a delivery to see its attempts.")
            self._show_attempt(-1)
            return
        next_try = (
            f" · next try {local_time(record['next_attempt_at'])}"
            if record["next_attempt_at"]
            else ""
        )
        self.summary.setText(
            f"<b>{record['event']}</b> {record['event_version']} · <b>{record['status']}</b>"
            f"{next_try}{resend_links(record)}<br>Delivery {record['delivery_id']}"
            f"<br>{record['target_url']}{_waiting(record)}"
        )
        for attempt in record["attempt_chain"]:
            self.attempts.addItem(QListWidgetItem(_attempt_line(attempt)))
        if record["attempt_chain"]:
            self.attempts.setCurrentRow(len(record["attempt_chain"]) - 1)
        else:
            self._show_attempt(-1)

    def set_masking(self, masking: Masking) -> None:
        """Settings changed the rule: show the bodies again by it."""
        self.masking = masking
        self._redraw()

    def show_revealed(self, delivery_id: int) -> None:
        """The reveal of `delivery_id` is audited: show its identifiers in full."""
        if self.record is not None and self.record["id"] == delivery_id:
            self.revealed = True
            self._redraw()

    def _ask_reveal(self) -> None:
        if self.record is not None:
            self.reveal_requested.emit(self.record["id"])

    def _redraw(self) -> None:
        self._show_reveal_button()
        self._show_attempt(self.attempts.currentRow())

    def _show_reveal_button(self) -> None:
        self.reveal_button.setVisible(
            self.record is not None and self.masking.on and not self.revealed
        )

    def _body(self, body: str | None) -> str:
        return pretty_body(body if self.revealed else self.masking.body(body))

    def _show_attempt(self, index: int) -> None:
        chain = self.record["attempt_chain"] if self.record else []
        if not 0 <= index < len(chain):
            body = self._body(self.record["payload"]) if self.record else ""
            for view in (self.request_headers, self.response_headers, self.response_body):
                view.clear()
            self.request_body.setPlainText(body)
            if self.record:
                self.response_headers.setPlainText("Not sent yet.")
            return
        a = chain[index]
        self.request_headers.setPlainText(
            f"POST {a['url']}\n\n{header_lines(a['request_headers'])}"
        )
        self.request_body.setPlainText(self._body(a["request_body"]))
        status = a["response_code"] if a["response_code"] is not None else "no answer"
        error = f"\n{a['error']}" if a["error"] else ""
        self.response_headers.setPlainText(
            f"{status}{error}\n\n{header_lines(a['response_headers'])}"
        )
        self.response_body.setPlainText(self._body(a["response_body"]))


def _waiting(record: dict) -> str:
    """What holds a pending delivery back (a failed validation, a disabled registration)."""
    reason = record.get("waiting_for")
    return (
        f"<br><span style='{text_style('warning')}'>{html.escape(reason)}</span>" if reason else ""
    )


def resend_links(record: dict) -> str:
    """ " · edited from #3 · resent as #9, #12 (edited)": the resend links, both ways."""
    parts = []
    origin = record.get("resent_from")
    if origin:
        parts.append(f"{'edited' if origin['edited'] else 'resent'} from #{origin['id']}")
    copies = record.get("resends") or []
    if copies:
        ids = ", ".join(f"#{c['id']}" + (" (edited)" if c["edited"] else "") for c in copies)
        parts.append(f"resent as {ids}")
    return "".join(f" · {part}" for part in parts)
