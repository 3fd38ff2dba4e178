"""A coordinator checks a registration's endpoint from the Registrations tab: nothing is sent
until Run, the checks tick off in the table, and the report is saved."""

from __future__ import annotations

import subprocess

from PySide6.QtCore import Qt
from receiver_client import start

from webhook_desk.services import registrations
from webhook_desk.services.registrations import RegistrationInput


def test_checks_tick_off_in_the_table_and_the_report_is_saved(window, qtbot, context, tmp_path):
    receiver = start(context.db, require_signature=True)
    try:
        data = RegistrationInput(
            url=receiver.url + "hooks", study_id="189", events=["upload"], auth_type="hmac",
            is_development=True,
        )  # fmt: skip
        with context.db.session() as session:
            registrations.add(session, context.store, data, secret="shared secret")
        receiver.refresh_secrets()
        tab = window.registrations_tab
        tab.refresh()
        qtbot.waitUntil(lambda: tab.model.rowCount() == 1)
        tab.table.selectRow(0)
        tab.actions_by_name["check"].trigger()
        dialog = tab.check_dialog
        assert dialog.table.rowCount() == 0  # nothing sent before Run
        qtbot.mouseClick(dialog.run_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: dialog.finished_run is not None, timeout=60_000)
    finally:
        receiver.stop()
    assert dialog.table.rowCount() == 8
    verdicts = [dialog.table.item(row, 1).text() for row in range(8)]
    assert "fail" not in verdicts
    assert dialog.state.text().startswith("Overall: PASS")
    report = tmp_path / "check.pdf"
    dialog.save_report(str(report))
    qtbot.waitUntil(lambda: "Report saved" in dialog.state.text())
    text = subprocess.run(["pdftotext", report, "-"], capture_output=True, text=True).stdout
    assert "Overall verdict: PASS" in text
