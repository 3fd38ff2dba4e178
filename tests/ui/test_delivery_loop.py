"""The whole loop as a tester lives it: register a development webhook at the built-in receiver,
fire from Events, watch it succeed in History and arrive in Receiver with a valid signature,
resend it, disable the registration."""

import json

import pytest
from PySide6.QtCore import QPoint, Qt

from webhook_desk.services import registrations
from webhook_desk.services.registrations import RegistrationInput

LOOP_TIMEOUT_MS = 20_000


def start_receiver(window, qtbot) -> str:
    tab = window.receiver_tab
    tab.port.setValue(0)  # any free port: tests must not fight over 8787
    qtbot.mouseClick(tab.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: tab.url.text().startswith("http://127.0.0.1:"))
    assert tab.start_button.text() == "Stop"
    assert window.status.receiver_label.text() == f"Receiver: {tab.url.text()}"
    return tab.url.text()


def register_at(context, url: str) -> int:
    data = RegistrationInput(
        url=url + "hooks/study-1064",
        study_id="1064",
        name="Local receiver",
        events=["upload"],
        auth_type="hmac",
        is_development=True,
    )
    with context.db.session() as session:
        reg, _ = registrations.add(session, context.store, data)
        session.flush()
        return reg.id


def fire_at_registration(window, qtbot, reg_id: int) -> None:
    events = window.events_tab
    window.tabs.setCurrentWidget(events)
    qtbot.waitUntil(lambda: events.tree.topLevelItemCount() > 0)
    events.select_event("upload")
    events.fire_action.trigger()
    qtbot.waitUntil(lambda: events.fire_dialog is not None)  # its targets are read first
    dialog = events.fire_dialog
    qtbot.mouseClick(
        dialog.to_registrations,
        Qt.MouseButton.LeftButton,
        pos=QPoint(8, dialog.to_registrations.height() // 2),
    )
    item = dialog.registrations.item(0)
    assert item.data(Qt.ItemDataRole.UserRole) == reg_id
    item.setCheckState(Qt.CheckState.Checked)
    qtbot.mouseClick(dialog.fire_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.isVisible())


def history_rows(window) -> list[dict]:
    return window.history_tab.model.rows


@pytest.mark.parametrize(
    "database", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
def test_fired_event_succeeds_in_history_and_arrives_signed_in_receiver(window, qtbot, context):
    url = start_receiver(window, qtbot)
    reg_id = register_at(context, url)
    context.registrations_changed.emit()
    context.engine.start()
    fire_at_registration(window, qtbot, reg_id)

    history = window.history_tab
    window.tabs.setCurrentWidget(history)
    qtbot.waitUntil(
        lambda: any(
            r["event"] == "upload" and r["status"] == "succeeded" for r in history_rows(window)
        ),
        timeout=LOOP_TIMEOUT_MS,
    )
    # the handshake ran before the upload went out, and shows in the history like any other
    assert sorted(r["event"] for r in history_rows(window)) == ["upload", "validation"]
    handshake = next(r for r in history_rows(window) if r["event"] == "validation")
    assert (handshake["status"], handshake["is_validation"]) == ("succeeded", True)

    history.table.selectRow(
        next(i for i, r in enumerate(history_rows(window)) if r["event"] == "upload")
    )
    qtbot.waitUntil(lambda: history.panel.attempts.count() == 1)
    assert history.panel.attempts.item(0).text().split()[3] == "200"
    assert "X-ActiGraph-Signature" in history.panel.request_headers.toPlainText()
    assert json.loads(history.panel.request_body.toPlainText())["status"] == "started"

    receiver = window.receiver_tab
    qtbot.waitUntil(
        lambda: any(r["event"] == "upload" for r in receiver.model.rows), timeout=LOOP_TIMEOUT_MS
    )
    arrived = next(r for r in receiver.model.rows if r["event"] == "upload")
    upload_row = next(r for r in history_rows(window) if r["event"] == "upload")
    assert arrived["delivery_id"] == upload_row["delivery_id"]
    assert (arrived["signature"], arrived["signature_scheme"]) == ("valid", "actigraph")
    assert not arrived["duplicate"]

    qtbot.mouseClick(
        history.toolbar.widgetForAction(history.resend_action),  # still selected
        Qt.MouseButton.LeftButton,
    )
    qtbot.waitUntil(
        lambda: (
            sum(r["event"] == "upload" and r["status"] == "succeeded" for r in history_rows(window))
            == 2
        ),
        timeout=LOOP_TIMEOUT_MS,
    )
    assert history_rows(window)[0]["resent_from_id"] == upload_row["id"]


def test_receiver_shows_the_full_request_on_selection(window, qtbot, context):
    url = start_receiver(window, qtbot)
    reg_id = register_at(context, url)
    context.registrations_changed.emit()
    context.engine.start()
    fire_at_registration(window, qtbot, reg_id)
    receiver = window.receiver_tab
    window.tabs.setCurrentWidget(receiver)
    qtbot.waitUntil(
        lambda: any(r["event"] == "upload" for r in receiver.model.rows), timeout=LOOP_TIMEOUT_MS
    )
    row = next(i for i, r in enumerate(receiver.model.rows) if r["event"] == "upload")
    receiver.table.selectRow(row)
    headers = receiver.request_headers.toPlainText()
    assert headers.startswith("POST /hooks/study-1064")
    assert "signature valid (actigraph" in headers
    assert "X-ActiGraph-Event: upload" in headers
    assert json.loads(receiver.request_body.toPlainText())["status"] == "started"


def test_stopping_the_receiver_frees_its_address(window, qtbot):
    start_receiver(window, qtbot)
    tab = window.receiver_tab
    qtbot.mouseClick(tab.start_button, Qt.MouseButton.LeftButton)
    assert tab.start_button.text() == "Start"
    assert tab.url.text() == ""
    assert window.status.receiver_label.text() == "Receiver: off"
