"""Check endpoint…: the checks of services/endpoint_check.py run against a registration, each
ticking off in the table as it finishes, then the evidence report saved on request.

Nothing is sent until the user presses Run (the report records who confirmed). The checks run
in a worker; their results reach the window through a list it polls, as no Python object
crosses threads inside a Qt signal here (see ui/jobs.py).
"""

from __future__ import annotations

import threading

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)

from webhook_desk.services import audit, check_report, endpoint_check
from webhook_desk.ui.colours import qcolour, text_style
from webhook_desk.ui.context import AppContext
from webhook_desk.ui.jobs import run_job

POLL_MS = 100
COLOURS = {"pass": "ok", "fail": "error", "information": "warning"}  # ui/colours.py


class EndpointCheckDialog(QDialog):
    def __init__(self, context: AppContext, reg_id: int, url: str, parent=None):
        super().__init__(parent)
        self.context, self.reg_id = context, reg_id
        self.setWindowTitle(f"Check endpoint of registration {reg_id}")
        self.resize(900, 520)
        self.finished_run: endpoint_check.CheckRun | None = None
        self._arrived: list[endpoint_check.CheckResult] = []
        self._lock = threading.Lock()
        self.state = QLabel(
            f"This sends about 45 test requests to {url}, each marked "
            f"{endpoint_check.CHECK_HEADER}, and records them in History. Press Run to start."
        )
        self.state.setWordWrap(True)
        self.table = QTableWidget(0, 3)
        self.table.setHorizontalHeaderLabels(("Check", "Verdict", "What was found"))
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.verticalHeader().hide()
        self.table.setColumnWidth(0, 330)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.run_button = QPushButton("Run")
        self.report_button = QPushButton("Save report…")
        self.report_button.setEnabled(False)
        for button in (self.run_button, self.report_button):
            self.buttons.addButton(button, QDialogButtonBox.ButtonRole.ActionRole)
        self.run_button.clicked.connect(self.start)
        self.report_button.clicked.connect(lambda: self.save_report())
        self.buttons.rejected.connect(self.reject)
        self.poll = QTimer(self, interval=POLL_MS)
        self.poll.timeout.connect(self._show_arrived)
        layout = QVBoxLayout(self)
        layout.addWidget(self.state)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.buttons)

    def start(self) -> None:
        self.run_button.setEnabled(False)
        self.state.setText("Checking…")
        db, store, reg_id = self.context.db, self.context.store, self.reg_id
        confirmed = f"{audit.os_user()} (Run, in the window)"

        def work() -> endpoint_check.CheckRun:
            target = endpoint_check.target_of_registration(db, store, reg_id)
            return endpoint_check.run(db, target, confirmed, progress=self._heard)

        self.poll.start()
        run_job(work, self._done, self._refused)

    def _heard(self, result: endpoint_check.CheckResult) -> None:  # on the worker thread
        with self._lock:
            self._arrived.append(result)

    def _show_arrived(self) -> None:
        with self._lock:
            arrived, self._arrived = self._arrived, []
        for result in arrived:
            row = self.table.rowCount()
            self.table.insertRow(row)
            cells = (f"{result.number}. {result.title}", result.verdict, result.detail)
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if column == 1 and result.verdict in COLOURS:
                    item.setForeground(qcolour(COLOURS[result.verdict]))
                self.table.setItem(row, column, item)

    def _done(self, run: endpoint_check.CheckRun) -> None:
        self.poll.stop()
        self._show_arrived()
        self.finished_run = run
        self.state.setText(f"Overall: {run.verdict.upper()} (run {run.run_id}).")
        self.state.setStyleSheet(text_style(COLOURS[run.verdict]) + " font-weight: bold;")
        self.report_button.setEnabled(True)
        self.run_button.setEnabled(True)
        self.context.deliveries_changed.emit()

    def _refused(self, sentence: str) -> None:
        self.poll.stop()
        self.state.setText(sentence)
        self.state.setStyleSheet(text_style("error"))
        self.run_button.setEnabled(True)

    def save_report(self, path: str | None = None) -> None:
        if self.finished_run is None:
            return
        if not path:
            path, _ = QFileDialog.getSaveFileName(
                self, "Save the evidence report", "endpoint-check.pdf", "PDF (*.pdf);;HTML (*.html)"
            )
        if not path:
            return
        document = self.finished_run.as_dict()

        def write() -> str:
            target, digest = check_report.write(document, path)
            return f"Report saved: {target} (content SHA-256 {digest[:16]}…)."

        run_job(write, self.state.setText, self._refused)
