"""A quality manager reads the audit trail in the window: filtered, before and after side by
side, and whether the chain is intact, in the trail's own view and in Help > About."""

from __future__ import annotations

from PySide6.QtCore import Qt
from sqlalchemy import text

from webhook_desk.services import registrations
from webhook_desk.services.registrations import RegistrationInput
from webhook_desk.ui.dialogs.audit_dialog import AuditDialog

WAIT_MS = 20_000  # a loaded machine answers slower than pytest-qt's 5 s default


def _history_of_changes(context) -> int:
    data = RegistrationInput(url="https://hooks.example.org/cp", study_id="189", events=["upload"])
    with context.db.session() as session:
        reg, _ = registrations.add(session, context.store, data, reason="new study")
        reg_id = reg.id
    with context.db.session() as session:
        registrations.set_status(session, reg_id, "disable", reason="site closed")
    return reg_id


def _open(window, qtbot) -> AuditDialog:
    window.open_audit()
    dialog = window.audit_dialog
    qtbot.waitUntil(
        lambda: dialog.table.rowCount() > 0 and "Chain" in dialog.chain.text(), timeout=WAIT_MS
    )
    return dialog


def test_the_trail_is_listed_filtered_and_shows_before_and_after(window, qtbot, context):
    reg_id = _history_of_changes(context)
    dialog = _open(window, qtbot)
    assert dialog.chain.text().startswith("Chain intact: 2 entries")
    assert dialog.table.rowCount() == 2
    qtbot.waitUntil(lambda: dialog.action.count() > 1, timeout=WAIT_MS)
    dialog.action.setCurrentText("registration.disable")
    qtbot.keyClicks(dialog.entity, f"registration {reg_id}")
    qtbot.mouseClick(dialog.apply_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.table.rowCount() == 1, timeout=WAIT_MS)
    assert dialog.table.item(0, 5).text() == "site closed"
    dialog.table.selectRow(0)
    assert '"enabled"' in dialog.before.toPlainText()
    assert '"disabled"' in dialog.after.toPlainText()


def test_a_tampered_trail_is_said_in_the_view_and_in_about(window, qtbot, context):
    _history_of_changes(context)
    with context.db.engine.begin() as connection:
        connection.execute(text("UPDATE audit_entry SET reason = 'nothing' WHERE id = 1"))
    dialog = _open(window, qtbot)
    assert dialog.chain.text() == ("Chain broken: Audit entry 1 was altered after it was written.")
    window.show_about()
    qtbot.waitUntil(lambda: getattr(window, "about_box", None) is not None, timeout=WAIT_MS)
    assert "Audit trail: <b>broken</b>: Audit entry 1 was altered" in window.about_box.text()


def test_a_bad_date_gets_the_histories_sentence(window, qtbot, context):
    _history_of_changes(context)
    dialog = _open(window, qtbot)
    qtbot.keyClicks(dialog.since, "last tuesday")
    qtbot.mouseClick(dialog.apply_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: "Since 'last tuesday' is not a date" in dialog.chain.text(), timeout=WAIT_MS
    )
