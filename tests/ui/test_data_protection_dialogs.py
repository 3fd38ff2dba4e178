"""A data manager erases a participant and sets retention from the window: each counts
first, removes only when asked, and says what it did in the service's words."""

from __future__ import annotations

import json
from datetime import timedelta

from PySide6.QtCore import Qt
from sqlalchemy import update

from webhook_desk.db.models import Delivery, utcnow
from webhook_desk.services import audit, catalog, firing

WAIT_MS = 20_000  # a loaded machine answers slower than pytest-qt's 5 s default

SUBJECT = "778812993301"


def _uploads(context, subjects) -> None:
    with context.db.session() as session:
        sample = catalog.sample_payload(catalog.get_event(session, "upload"))
        for subject in subjects:
            body = json.dumps({**sample, "studyId": "189", "subjectId": subject})
            firing.fire(session, "upload", url="http://127.0.0.1:9/x", payload=body)


def test_erasing_a_participant_counts_then_erases_then_certifies(window, qtbot, context, tmp_path):
    _uploads(context, [SUBJECT, SUBJECT, "554433110092"])
    window.open_erasure()
    dialog = window.erasure_dialog
    qtbot.keyClicks(dialog.study, "189")
    qtbot.keyClicks(dialog.subject, SUBJECT)
    qtbot.keyClicks(dialog.reason, "DSAR-7")
    assert not dialog.erase_button.isEnabled()  # count first
    qtbot.mouseClick(dialog.count_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(dialog.erase_button.isEnabled, timeout=WAIT_MS)
    assert dialog.state.text().startswith("2 deliveries (0 attempts) and 0 receiver captures")
    qtbot.mouseClick(dialog.erase_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.state.text().startswith("Erased 2 deliveries"), timeout=WAIT_MS)
    certificate = tmp_path / "certificate.json"
    dialog.save_certificate(str(certificate))
    assert json.loads(certificate.read_text())["subject"] == SUBJECT
    with context.db.session() as session:
        assert audit.entries(session, limit=1)[0].reason == "DSAR-7"


def test_retention_checks_the_days_as_chosen_and_purges_after_counting(window, qtbot, context):
    _uploads(context, [SUBJECT, "554433110092"])
    with context.db.session() as session:
        old = utcnow() - timedelta(days=40)
        session.execute(update(Delivery).where(Delivery.id == 1).values(created_at=old))
    window.open_retention()
    dialog = window.retention_dialog
    qtbot.waitUntil(lambda: "No retention policy" in dialog.policies.text(), timeout=WAIT_MS)
    dialog.payload_days.setValue(30)
    dialog.metadata_days.setValue(7)
    assert "record days ≥ payload days" in dialog.state.text()
    assert not dialog.save_button.isEnabled()
    dialog.metadata_days.setValue(0)  # kept for ever
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: "(default): payloads 30 days" in dialog.policies.text(), timeout=WAIT_MS
    )
    qtbot.mouseClick(dialog.count_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(dialog.purge_button.isEnabled, timeout=WAIT_MS)
    assert dialog.state.text().startswith("A purge would remove 1 payloads")
    qtbot.mouseClick(dialog.purge_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.state.text().startswith("Removed 1 payloads"), timeout=WAIT_MS)
    assert dialog.progress.isVisible()
    assert (dialog.progress.value(), dialog.progress.maximum()) == (1, 1)  # 1 of 1 deliveries
