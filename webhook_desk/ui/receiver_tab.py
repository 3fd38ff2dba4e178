"""The Receiver tab: start/stop the built-in receiver, how it answers, and what arrived.
Identifying values (Subject column, bodies) are masked by services/identifying.py's rule
until the user reveals a request's, which is audited."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from webhook_desk.errors import UserError
from webhook_desk.platform.sender_addresses import remote_label
from webhook_desk.receiver.answers import MODES, ReceiverOptions
from webhook_desk.receiver.inbox import body_text, capture_ref, recent
from webhook_desk.services import identifying
from webhook_desk.ui.colours import text_style
from webhook_desk.ui.context import AppContext
from webhook_desk.ui.dialogs.compare_dialog import CompareDialog, ask_and_compare
from webhook_desk.ui.dialogs.edit_resend_dialog import open_edit_resend
from webhook_desk.ui.dialogs.message import show_error
from webhook_desk.ui.formatting import header_lines, pretty_body
from webhook_desk.ui.icons import icon
from webhook_desk.ui.jobs import run_job
from webhook_desk.ui.models.requests_model import MAX_ROWS, RequestsModel
from webhook_desk.ui.widgets.json_editor import JsonEditor
from webhook_desk.ui.widgets.receiver_client_certs import ReceiverClientCertsRow
from webhook_desk.ui.widgets.receiver_https import ReceiverHttpsRow
from webhook_desk.ui.widgets.record_table import record_table
from webhook_desk.ui.wording import for_window

FLUSH_MS = 200  # new requests are added to the table in batches, not one repaint each
# At 1024 px everything up to Client certificate fits (tests/ui/test_layout.py); longer
# values are elided, with the whole text in the detail pane below.
COLUMN_WIDTHS = (140, 55, 130, 150, 80, 55, 130, 130, 120, 80, 285)


def capture_row(capture) -> dict:
    row = capture.row()
    row["body"], row["body_encoding"] = body_text(capture.body)
    return row


def _client_certificate_line(row: dict) -> str:
    if not row.get("client_cert_subject"):
        return ""
    return (
        f"\nClient certificate {row['client_cert_subject']} · "
        f"SHA-256 {row['client_cert_fingerprint']}"
    )


class ReceiverTab(QWidget):
    def __init__(self, context: AppContext, parent=None):
        super().__init__(parent)
        self.context = context
        self.controller = context.receiver
        self.flush_timer = QTimer(self, singleShot=True, interval=FLUSH_MS)
        self.flush_timer.timeout.connect(self._flush)
        self._build_controls()
        self.model = RequestsModel(self)
        self.table = record_table(self.model, dict(enumerate(COLUMN_WIDTHS)))
        self.table.selectionModel().selectionChanged.connect(self._show_selected)
        self._build_request_actions()
        self.request_headers = QPlainTextEdit(readOnly=True)
        self.request_headers.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.request_body = JsonEditor(read_only=True)
        self.revealed: dict | None = None  # the request whose identifiers are shown in full
        self.reveal_button = QPushButton("Reveal identifiers")
        self.reveal_button.setToolTip(
            "Show this request's identifying fields in full; each reveal is recorded in the "
            "audit trail"
        )
        self.reveal_button.clicked.connect(self.reveal_identifiers)
        head = QWidget()
        head_layout = QVBoxLayout(head)
        head_layout.setContentsMargins(0, 0, 0, 0)
        head_layout.addWidget(self.reveal_button, 0, Qt.AlignmentFlag.AlignRight)
        head_layout.addWidget(self.request_headers, 1)
        detail = QSplitter(Qt.Orientation.Vertical)
        detail.addWidget(head)
        detail.addWidget(self.request_body)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.table)
        splitter.addWidget(detail)
        splitter.setSizes([420, 300])
        layout = QVBoxLayout(self)
        layout.addLayout(self.controls)
        layout.addLayout(self.mode_controls)
        layout.addLayout(self.check_controls)
        self.https_row = ReceiverHttpsRow(context, self)
        self.client_certs_row = ReceiverClientCertsRow(context, self)
        self.https_row.https.toggled.connect(self.client_certs_row.https_changed)
        layout.addWidget(self.https_row)
        layout.addWidget(self.client_certs_row)
        # TLS handshakes refused: nothing of them is in the inbox, so they are counted here.
        self.refused_handshakes = QLabel(wordWrap=True)
        self.refused_handshakes.setVisible(False)
        self.refused_handshakes.setStyleSheet(text_style("warning"))
        layout.addWidget(self.refused_handshakes)
        layout.addWidget(splitter, 1)
        if self.controller is not None:
            self.controller.request_received.connect(self._arrived)
            self.controller.state_changed.connect(self._show_state)
            self.controller.handshake_refused.connect(self._show_refused_handshakes)
        self._show_state()
        context.masking_changed.connect(self._masking_changed)
        self._masking_changed()
        self.load_inbox()

    def _build_controls(self) -> None:
        self.start_button = QPushButton(icon("start"), "Start")
        self.start_button.clicked.connect(self.toggle)
        self.port = QSpinBox()
        self.port.setRange(0, 65535)
        self.port.setValue(self.controller.port if self.controller else 8787)
        self.url = QLineEdit(readOnly=True)
        self.url.setPlaceholderText("not running")
        self.copy_button = QPushButton(icon("copy"), "Copy URL")
        self.copy_button.clicked.connect(self.copy_url)
        self.state = QLabel()
        self.state.setWordWrap(True)  # a refusal (port in use) is a sentence, not a word
        self.controls = QHBoxLayout()
        for widget in (self.start_button, QLabel("Port"), self.port, QLabel("URL")):
            self.controls.addWidget(widget)
        self.controls.addWidget(self.url, 1)
        self.controls.addWidget(self.copy_button)
        self.controls.addWidget(self.state)
        self.mode = QComboBox()
        self.mode.addItems(MODES)
        self.fail_status = QSpinBox()
        self.fail_status.setRange(100, 599)
        self.fail_status.setValue(500)
        self.delay_ms = QSpinBox()
        self.delay_ms.setRange(0, 600_000)
        self.delay_ms.setSuffix(" ms")
        self.delay_ms.setValue(1000)
        self.failure_rate = QDoubleSpinBox()
        self.failure_rate.setRange(0, 1)
        self.failure_rate.setSingleStep(0.1)
        self.failure_rate.setValue(0.5)
        self.require_signature = QCheckBox("Answer 401 to a bad signature")
        self.fail_validation = QCheckBox("Fail the validation handshake")
        self.mode_controls = QHBoxLayout()
        for label, widget in (
            ("Mode", self.mode),
            ("Status", self.fail_status),
            ("Delay", self.delay_ms),
            ("Failure rate", self.failure_rate),
        ):
            self.mode_controls.addWidget(QLabel(label))
            self.mode_controls.addWidget(widget)
        self.mode_controls.addStretch(1)
        self.check_controls = QHBoxLayout()
        self.check_controls.addWidget(self.require_signature)
        self.check_controls.addWidget(self.fail_validation)
        self.check_controls.addStretch(1)
        for signal in (
            self.mode.currentTextChanged,
            self.fail_status.valueChanged,
            self.delay_ms.valueChanged,
            self.failure_rate.valueChanged,
            self.require_signature.toggled,
            self.fail_validation.toggled,
        ):
            signal.connect(self.apply_options)
        self._mode_fields()

    def _mode_fields(self) -> None:
        mode = self.mode.currentText()
        self.fail_status.setEnabled(mode in ("fail", "flaky"))
        self.delay_ms.setEnabled(mode in ("delay", "timeout"))
        self.failure_rate.setEnabled(mode == "flaky")

    def options(self) -> ReceiverOptions:
        mode = self.mode.currentText()
        return ReceiverOptions(
            mode=mode,
            status=self.fail_status.value(),
            delay_ms=self.delay_ms.value() if mode in ("delay", "timeout") else None,
            failure_rate=self.failure_rate.value(),
            require_signature=self.require_signature.isChecked(),
            fail_validation=self.fail_validation.isChecked(),
        )

    def apply_options(self, *_args) -> None:
        self._mode_fields()
        if self.controller is not None:
            self.controller.set_options(self.options())

    # --- running ------------------------------------------------------------------------

    def toggle(self) -> None:
        if self.controller is None:
            return
        if self.controller.is_running:
            self.controller.stop()
            return
        try:
            self.controller.set_options(self.options())
            self.controller.start(self.port.value())
        except UserError as error:
            self.state.setText(for_window(error))
            self.state.setStyleSheet(text_style("error"))

    def _show_state(self, *_args) -> None:
        running = self.controller is not None and self.controller.is_running
        self.start_button.setText("Stop" if running else "Start")
        self.start_button.setIcon(icon("stop" if running else "start"))
        self.url.setText(self.controller.url if running else "")
        self.port.setEnabled(not running)
        self.https_row.show_state(running)
        self.client_certs_row.show_state(running)
        self.copy_button.setEnabled(running)
        self.state.setStyleSheet(text_style("ok") if running else "")
        self.state.setText("Listening" if running else "Stopped")
        if running:  # counted afresh each time it starts
            self.refused_handshakes.hide()

    def _show_refused_handshakes(self) -> None:
        if self.controller is None:
            return
        refusals = self.controller.receiver.handshakes
        self.refused_handshakes.setText(refusals.summary())
        self.refused_handshakes.setToolTip(refusals.details())
        self.refused_handshakes.show()

    def copy_url(self) -> None:
        QGuiApplication.clipboard().setText(self.url.text())
        self.context.say("Receiver URL copied.")

    # --- requests -----------------------------------------------------------------------

    def load_inbox(self) -> None:
        db = self.context.db

        def load():
            with db.session() as session:
                return recent(session, MAX_ROWS)

        run_job(load, self.model.set_rows, self.context.say)

    def _arrived(self) -> None:
        if not self.flush_timer.isActive():
            self.flush_timer.start()

    def _flush(self) -> None:
        captures = self.controller.take_captures()
        if not all(c.kept for c in captures):  # they were answered 503: say why, in red
            self.state.setText(f"Answering 503: {self.controller.receiver.problem}")
            self.state.setStyleSheet(text_style("error"))
        rows = [capture_row(c) for c in reversed(captures)]
        selected = self.selected_row()
        self.model.prepend(rows)
        if selected is not None:
            self.table.selectRow(self.model.rows.index(selected))

    def _build_request_actions(self) -> None:
        """Edit and resend, and Compare, on the table's context menu and by keys."""
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        self.edit_resend_dialog = None
        self.edit_resend_action = QAction(icon("resend"), "Edit and resend…", self)
        self.edit_resend_action.setShortcut(QKeySequence("Ctrl+E"))
        self.edit_resend_action.triggered.connect(self.edit_and_resend)
        self.compare_action = QAction("Compare", self)
        self.compare_action.setShortcut(QKeySequence("Ctrl+D"))
        self.compare_action.triggered.connect(self.compare_selected)
        self.compare_with_action = QAction("Compare with…", self)
        self.compare_with_action.triggered.connect(self.compare_with)
        for action in (self.edit_resend_action, self.compare_action, self.compare_with_action):
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            self.table.addAction(action)
            self.addAction(action)

    def _with_refs(self, rows: list[dict], then) -> None:
        """`then(refs)` with capture:ID for each row, looked up off the GUI thread."""
        db = self.context.db

        def refs():
            with db.session() as session:
                return [capture_ref(session, row) for row in rows]

        run_job(refs, then, lambda sentence: show_error(self, sentence))

    def edit_and_resend(self) -> None:
        rows = self.selected_rows()
        if len(rows) == 1:
            self._with_refs(
                rows, lambda refs: open_edit_resend(self.context, refs[0], self, self._keep)
            )

    def _keep(self, dialog) -> None:
        previous, self.edit_resend_dialog = self.edit_resend_dialog, dialog
        if previous is not None:
            previous.deleteLater()

    def compare_selected(self) -> None:
        rows = self.selected_rows()
        if len(rows) != 2:
            show_error(self, "Select two requests to compare (Ctrl+click the second).")
            return

        def compare(refs: list[str]) -> None:
            older, newer = sorted(refs, key=lambda ref: int(ref.split(":")[1]))
            self.compare_dialog = CompareDialog(self.context, older, newer, self)
            self.compare_dialog.open()

        self._with_refs(rows, compare)

    def compare_with(self) -> None:

        rows = self.selected_rows()
        if len(rows) == 1:
            self._with_refs(rows, self._ask_compare)

    def _ask_compare(self, refs: list[str]) -> None:
        self.compare_ask = ask_and_compare(self.context, refs[0], self, self._keep_compare)

    def _keep_compare(self, dialog) -> None:
        self.compare_dialog = dialog

    def selected_rows(self) -> list[dict]:
        indexes = sorted(self.table.selectionModel().selectedRows(), key=lambda i: i.row())
        return [self.model.rows[index.row()] for index in indexes]

    def selected_row(self) -> dict | None:
        """The one selected request; None when none, or several, are selected."""
        rows = self.selected_rows()
        return rows[0] if len(rows) == 1 else None

    # --- identifying values -------------------------------------------------------------

    def _masking_changed(self) -> None:
        self.model.set_masking(self.context.masking)
        self._show_selected()

    def reveal_identifiers(self) -> None:
        """Show the selected request's identifiers in full, once the reveal is audited."""
        row, db = self.selected_row(), self.context.db
        if row is None:
            return

        def work():
            with db.session() as session:
                identifying.reveal(session, "capture", capture_ref(session, row))
            return row

        run_job(work, self._revealed, self._reveal_failed)

    def _reveal_failed(self, sentence: str) -> None:
        show_error(self, sentence)

    def _revealed(self, row: dict) -> None:
        self.revealed = row
        self._show_selected()

    def _show_selected(self, *_args) -> None:
        row = self.selected_row()
        masked = self.context.masking.on and row is not self.revealed
        self.reveal_button.setVisible(row is not None and masked)
        if row is None:
            self.request_headers.clear()
            self.request_body.clear()
            return
        query = f"?{row['query']}" if row.get("query") else ""
        self.request_headers.setPlainText(
            f"{row['method']} {row['path']}{query}\nFrom {remote_label(row['remote_addr'])} · "
            f"answered "
            f"{row['status_code']} · signature {row['signature']}"
            + (
                f" ({row['signature_scheme']}, {row['secret_version']})"
                if row.get("signature_scheme")
                else ""
            )
            + _client_certificate_line(row)
            + "\n\n"
            + header_lines(row["headers"])
        )
        body = row["body"]
        if row.get("body_encoding") == "base64":
            self.request_body.setPlainText(f"(base64) {body}")
        else:
            self.request_body.setPlainText(
                pretty_body(self.context.masking.body(body) if masked else body)
            )
