"""Identifying values on screen: masked (`•••• 2358`) in the History table and detail and in
the Receiver tab, shown in full only when the user asks (and the audit trail says who did),
everywhere at once when Settings turns masking off. The Export dialog pseudonymises."""

from __future__ import annotations

import json

import requests
from PySide6.QtCore import QPoint, Qt
from test_delivery_loop import start_receiver
from test_history_detail import click_row
from test_settings import open_settings, save_button

from webhook_desk.services import audit, catalog, firing
from webhook_desk.ui.models.history_model import SUBJECT_COLUMN
from webhook_desk.ui.models.requests_model import SUBJECT_COLUMN as RECEIVED_SUBJECT

SUBJECT = "60412358"
MASKED = "•••• 2358"


def upload_about(context, subject: str = SUBJECT) -> str:
    with context.db.session() as session:
        sample = catalog.sample_payload(catalog.get_event(session, "upload"))
    return json.dumps({**sample, "studyId": "2207", "subjectId": subject})


def fire_upload(context) -> None:
    with context.db.session() as session:
        firing.fire(session, "upload", url="http://127.0.0.1:9/h", payload=upload_about(context))


def audit_actions(context) -> list[tuple[str, str, str]]:
    with context.db.session() as session:
        return [(e.action, e.entity_type, e.entity_id) for e in audit.entries(session)]


def subject_cell(tab) -> str:
    return tab.model.index(0, SUBJECT_COLUMN).data()


def test_history_masks_the_subject_and_reveals_it_on_request_with_an_audit_entry(
    show_history, qtbot, context
):
    fire_upload(context)
    tab = show_history()
    qtbot.waitUntil(lambda: subject_cell(tab) == MASKED)
    click_row(qtbot, tab.table, 0)
    qtbot.waitUntil(lambda: MASKED in tab.panel.request_body.toPlainText())
    assert SUBJECT not in tab.panel.request_body.toPlainText()
    assert tab.panel.reveal_button.isVisible()

    qtbot.mouseClick(tab.panel.reveal_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: SUBJECT in tab.panel.request_body.toPlainText())
    assert not tab.panel.reveal_button.isVisible()
    delivery_id = str(tab.panel.record["id"])
    assert ("identifiers.reveal", "delivery", delivery_id) in audit_actions(context)
    assert subject_cell(tab) == MASKED  # the table stays masked


def test_masking_switched_off_in_settings_shows_identifiers_and_is_audited(
    show_history, window, qtbot, context
):
    fire_upload(context)
    tab = show_history()
    qtbot.waitUntil(lambda: subject_cell(tab) == MASKED)
    dialog = open_settings(window, qtbot)
    assert dialog.masking.isChecked()  # on from the start
    assert "subjectId" in dialog.identifying_fields.text()
    box = dialog.masking
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton, pos=QPoint(8, box.height() // 2))
    qtbot.mouseClick(save_button(dialog), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: subject_cell(tab) == SUBJECT)
    assert ("masking.off", "setting", "masking") in audit_actions(context)


def test_a_field_named_in_settings_is_masked_too(show_history, window, qtbot, context):
    dialog = open_settings(window, qtbot)
    qtbot.keyClicks(dialog.identifying_fields, ", uploadId")
    qtbot.mouseClick(save_button(dialog), Qt.MouseButton.LeftButton)
    fire_upload(context)
    tab = show_history()
    click_row(qtbot, tab.table, 0)
    qtbot.waitUntil(lambda: '"uploadId": "••••' in tab.panel.request_body.toPlainText())


def test_the_receiver_tab_masks_subjects_and_bodies_until_revealed(window, qtbot, context):
    url = start_receiver(window, qtbot)
    answer = requests.post(url + "hooks", data=upload_about(context).encode(), timeout=10)
    assert answer.status_code == 200
    tab = window.receiver_tab
    qtbot.waitUntil(lambda: tab.model.rowCount() == 1)
    assert tab.model.index(0, RECEIVED_SUBJECT).data() == MASKED
    tab.table.selectRow(0)
    assert MASKED in tab.request_body.toPlainText()
    assert SUBJECT not in tab.request_body.toPlainText()

    qtbot.mouseClick(tab.reveal_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: SUBJECT in tab.request_body.toPlainText())
    reveals = [a for a in audit_actions(context) if a[0] == "identifiers.reveal"]
    assert [(kind, ref.split(":")[0]) for _, kind, ref in reveals] == [("capture", "capture")]


def test_the_export_dialog_pseudonymises(show_history, qtbot, context, tmp_path):
    fire_upload(context)
    tab = show_history()
    tab.export()
    dialog = tab.export_dialog
    qtbot.waitExposed(dialog)
    target = tmp_path / "history.csv"
    dialog.path.setText(str(target))
    box = dialog.pseudonymise  # a click on its box, not on the empty width beside its label
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton, pos=QPoint(8, box.height() // 2))
    assert dialog.pseudonymise.isChecked()
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "Exported" in dialog.message.text(), timeout=10_000)
    assert "pseudonymised" in dialog.message.text()
    text = target.read_text()
    assert SUBJECT not in text and "subject_pseudonym" in text
