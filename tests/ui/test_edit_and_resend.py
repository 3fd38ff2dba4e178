"""A tester's delivery is refused by the receiver; they edit its payload, resend it, see it
arrive signed, see the link in History both ways, and compare the two deliveries."""

from __future__ import annotations

import json

import requests
import shiboken6
from PySide6.QtCore import QItemSelectionModel, Qt
from test_delivery_loop import LOOP_TIMEOUT_MS, fire_at_registration, register_at, start_receiver

from webhook_desk.services.identifying import mask
from webhook_desk.ui.dialogs.compare_dialog import COLOURS, CompareDialog
from webhook_desk.ui.dialogs.edit_resend_dialog import EditResendDialog, open_edit_resend

WAIT_MS = 20_000  # a loaded machine answers slower than pytest-qt's 5 s default


def _row_of(history, delivery_id: int) -> int:
    return next(i for i, r in enumerate(history.model.rows) if r["id"] == delivery_id)


def _refused_upload(window, qtbot, context) -> tuple[object, dict]:
    url = start_receiver(window, qtbot)
    window.receiver_tab.mode.setCurrentText("fail")  # answers 500
    reg_id = register_at(context, url)
    context.registrations_changed.emit()
    context.engine.start()
    fire_at_registration(window, qtbot, reg_id)
    history = window.history_tab
    window.tabs.setCurrentWidget(history)

    def refused():
        return next(
            (r for r in history.model.rows if r["event"] == "upload" and r["response_code"] == 500),
            None,
        )

    qtbot.waitUntil(lambda: refused() is not None, timeout=LOOP_TIMEOUT_MS)
    return history, refused()


def test_a_tester_edits_a_refused_delivery_and_resends_it(window, qtbot, context):
    history, original = _refused_upload(window, qtbot, context)
    window.receiver_tab.mode.setCurrentText("ok")
    history.table.selectRow(_row_of(history, original["id"]))
    window.activateWindow()
    history.table.setFocus()
    qtbot.waitUntil(history.table.hasFocus, timeout=WAIT_MS)
    qtbot.keyClick(history.table, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(
        lambda: getattr(history, "edit_resend_dialog", None) is not None, timeout=WAIT_MS
    )
    dialog = history.edit_resend_dialog
    assert isinstance(dialog, EditResendDialog) and dialog.isVisible()

    payload = json.loads(dialog.editor.toPlainText())
    dialog.editor.setPlainText(json.dumps({**payload, "status": "done"}))
    qtbot.waitUntil(
        lambda: "status" in dialog.problems.text(), timeout=WAIT_MS
    )  # the schema, as typed
    assert not dialog.send_button.isEnabled()
    dialog.editor.setPlainText(json.dumps({**payload, "subjectId": "50001"}))
    qtbot.waitUntil(dialog.send_button.isEnabled, timeout=WAIT_MS)
    qtbot.keyClicks(dialog.reason, "wrong subject")
    qtbot.mouseClick(dialog.send_button, Qt.MouseButton.LeftButton)
    # The dialog deletes itself on close: gone counts as closed.
    qtbot.waitUntil(
        lambda: not shiboken6.isValid(dialog) or not dialog.isVisible(), timeout=WAIT_MS
    )

    def copy():
        return next((r for r in history.model.rows if r["resent_from_id"] == original["id"]), None)

    qtbot.waitUntil(
        lambda: copy() is not None and copy()["status"] == "succeeded", timeout=LOOP_TIMEOUT_MS
    )
    receiver = window.receiver_tab
    qtbot.waitUntil(
        lambda: any(r["delivery_id"] == copy()["delivery_id"] for r in receiver.model.rows),
        timeout=LOOP_TIMEOUT_MS,
    )
    arrived = next(r for r in receiver.model.rows if r["delivery_id"] == copy()["delivery_id"])
    assert arrived["signature"] == "valid"

    history.table.selectRow(_row_of(history, copy()["id"]))
    qtbot.waitUntil(
        lambda: f"edited from #{original['id']}" in history.panel.summary.text(), timeout=WAIT_MS
    )
    history.table.selectRow(_row_of(history, original["id"]))
    qtbot.waitUntil(
        lambda: f"resent as #{copy()['id']} (edited)" in history.panel.summary.text(),
        timeout=WAIT_MS,
    )

    selection = history.table.selectionModel()
    selection.select(
        history.model.index(_row_of(history, copy()["id"]), 0),
        QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows,
    )
    assert history.compare_action.isEnabled()
    history.compare_action.trigger()
    compare = history.findChild(CompareDialog)
    qtbot.waitUntil(lambda: compare.comparison is not None, timeout=WAIT_MS)
    rows = [compare.differences.item(i).text() for i in range(compare.differences.count())]
    # masked, as History shows them (masking is on for a new installation)
    assert f'~ body /subjectId: "{mask(payload["subjectId"])}" → "{mask("50001")}"' in rows
    line = next(
        i
        for i, text in enumerate(compare.panes[1].toPlainText().split("\n"))
        if f'"subjectId": "{mask("50001")}"' in text
    )
    assert compare.highlighted_lines(1)[line] == COLOURS["changed"]


def _post(url: str, body: dict, event: str = "upload") -> None:
    headers = {"X-ActiGraph-Event": event, "Content-Type": "application/json"}
    requests.post(url + "hooks/manual", data=json.dumps(body), headers=headers, timeout=5)


def test_two_captures_compare_and_one_is_edited_and_resent(window, qtbot, context):
    url = start_receiver(window, qtbot)
    receiver = window.receiver_tab
    window.tabs.setCurrentWidget(receiver)
    _post(url, {"studyId": "189", "subjectId": "10000001", "uploadId": "7", "status": "started"})
    _post(url, {"studyId": "189", "subjectId": "10000002", "uploadId": "7", "status": "started"})
    qtbot.waitUntil(lambda: receiver.model.rowCount() == 2, timeout=WAIT_MS)

    receiver.table.selectAll()
    receiver.compare_action.trigger()
    qtbot.waitUntil(lambda: getattr(receiver, "compare_dialog", None) is not None, timeout=WAIT_MS)
    compare = receiver.compare_dialog
    qtbot.waitUntil(lambda: compare.comparison is not None, timeout=WAIT_MS)
    listed = [compare.differences.item(i).text() for i in range(compare.differences.count())]
    assert f'~ body /subjectId: "{mask("10000001")}" → "{mask("10000002")}"' in listed
    compare.close()

    receiver.table.selectRow(0)  # the newest
    receiver.edit_resend_action.trigger()
    qtbot.waitUntil(lambda: receiver.edit_resend_dialog is not None, timeout=WAIT_MS)
    dialog = receiver.edit_resend_dialog
    assert dialog.target.currentData() == "url"  # no registration of its own: back by URL
    assert dialog.url.text().endswith("/hooks/manual")
    dialog.url.setText(url + "hooks/again")
    qtbot.waitUntil(dialog.send_button.isEnabled, timeout=WAIT_MS)
    qtbot.mouseClick(dialog.send_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=WAIT_MS)
    context.engine.start()
    qtbot.waitUntil(
        lambda: any(r["path"] == "/hooks/again" for r in receiver.model.rows),
        timeout=LOOP_TIMEOUT_MS,
    )
    history = window.history_tab
    window.tabs.setCurrentWidget(history)
    qtbot.waitUntil(lambda: history.model.rowCount() == 1, timeout=WAIT_MS)
    history.table.selectRow(0)
    history.compare_with_action.trigger()
    ask = history.compare_ask
    ask.setTextValue("capture:1")
    ask.accept()
    compare = history.compare_dialog
    qtbot.waitUntil(lambda: compare.comparison is not None, timeout=WAIT_MS)
    listed = [compare.differences.item(i).text() for i in range(compare.differences.count())]
    assert f'~ body /subjectId: "{mask("10000002")}" → "{mask("10000001")}"' in listed


def _editing_a_fresh_delivery(window, qtbot, context) -> tuple[int, EditResendDialog]:
    """An ad-hoc upload, opened in Edit and resend as the History tab opens it."""
    from webhook_desk.services import firing

    with context.db.session() as session:
        (original,) = firing.fire(session, "upload", url="http://127.0.0.1:9/x")
        original_id = original.id
    kept: list[EditResendDialog] = []
    open_edit_resend(context, str(original_id), window, kept.append)
    qtbot.waitUntil(lambda: bool(kept), timeout=WAIT_MS)
    return original_id, kept[0]


def test_the_dialog_refuses_a_secret_header_with_the_services_sentence(window, qtbot, context):
    _, dialog = _editing_a_fresh_delivery(window, qtbot, context)
    qtbot.keyClicks(dialog.headers, "Cookie: session=1")
    qtbot.waitUntil(lambda: "Cookie carries a secret" in dialog.problems.text(), timeout=WAIT_MS)
    assert not dialog.send_button.isEnabled()
    dialog.headers.setPlainText("X-Test-Case: 42")
    qtbot.waitUntil(dialog.send_button.isEnabled, timeout=WAIT_MS)


def test_opening_a_delivery_for_editing_reveals_it_and_is_audited(window, qtbot, context):
    from webhook_desk.services import audit

    original_id, _ = _editing_a_fresh_delivery(window, qtbot, context)
    with context.db.session() as session:
        entry = audit.entries(session, limit=1)[0]
    assert (entry.action, entry.entity_type, entry.entity_id) == (
        "identifiers.reveal",
        "delivery",
        str(original_id),
    )
