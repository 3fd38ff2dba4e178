"""History's Retry and Record outcome… on a delivery pulled from the hosted ECG module
(`webhook-desk serve` in its own process), and Fire at one of its subscriptions: the module
does it first, the desk pulls its activity back and says what the module answered; a refusal
changes neither side."""

from ecg_module import VITALS, mirror
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QMessageBox
from sqlalchemy import select
from test_fire_dialog import open_fire

from webhook_desk.db.models import Delivery
from webhook_desk.platform.ecg_sync import sync_ecg
from webhook_desk.platform.sync import keep_token, upsert_mirror
from webhook_desk.services.firing import HOSTED_ONE_AT_A_TIME


def _failed_on_the_module(ecg, context, token: str):
    """A subscription whose one activity failed on the module, pulled into the desk."""
    org, remote, reg_id = mirror(ecg, context.db)
    ecg.fail_activity(remote)
    sync_ecg(context.db, ecg.client(), org)
    keep_token(context.store, ecg.url, token)


def _select_the_delivery(show_history, qtbot):
    tab = show_history()
    qtbot.waitUntil(lambda: tab.model.rowCount() == 1)
    tab.table.selectRow(0)
    qtbot.waitUntil(lambda: tab.resend_action.isEnabled())
    assert tab.model.rows[0]["status"] == "failed"
    return tab


def _local_deliveries(context) -> int:
    with context.db.session() as session:
        return len(session.scalars(select(Delivery).where(Delivery.source == "local")).all())


def test_retry_of_a_hosted_delivery_is_made_by_the_module(
    ecg, window, show_history, qtbot, context
):
    _failed_on_the_module(ecg, context, ecg.token)
    tab = _select_the_delivery(show_history, qtbot)
    before = ecg.deliveries()

    tab.resend_action.trigger()

    bar = window.statusBar()
    qtbot.waitUntil(lambda: bar.currentMessage().startswith("The ECG module retried delivery"))
    assert "(its activity " in bar.currentMessage()
    assert ecg.deliveries() == before + 1  # the module queued the retry
    assert _local_deliveries(context) == 0  # nothing is sent from here


def test_an_outcome_recorded_in_history_is_recorded_on_the_module(
    ecg, window, show_history, qtbot, context
):
    _failed_on_the_module(ecg, context, ecg.token)
    tab = _select_the_delivery(show_history, qtbot)

    tab.outcome_action.trigger()
    dialog = tab.outcome_dialog
    qtbot.waitUntil(dialog.isVisible)
    qtbot.mouseClick(dialog.succeeded, Qt.MouseButton.LeftButton)
    dialog.status_code.setValue(200)
    qtbot.keyClicks(dialog.reason, "checked by phone")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)

    qtbot.waitUntil(lambda: not dialog.isVisible())
    message = window.statusBar().currentMessage()
    assert message.startswith("The ECG module recorded the outcome (its activity ")
    assert message.endswith("; 1 new record pulled here.")
    qtbot.waitUntil(lambda: tab.model.rows[0]["status"] == "succeeded")
    with ecg.db.session() as session:
        served = session.scalars(select(Delivery).order_by(Delivery.id.desc())).first()
        assert (served.status, served.response_code) == ("succeeded", 200)


def test_a_retry_the_module_refuses_changes_neither_side(ecg, window, show_history, qtbot, context):
    _failed_on_the_module(ecg, context, "not-the-token")
    tab = _select_the_delivery(show_history, qtbot)
    before = ecg.deliveries()

    tab.resend_action.trigger()

    qtbot.waitUntil(lambda: tab.findChild(QMessageBox, "error_message") is not None)
    sentence = tab.findChild(QMessageBox, "error_message").text()
    assert "refused the API token" in sentence and "nothing was changed here" in sentence
    assert ecg.deliveries() == before and _local_deliveries(context) == 0
    assert tab.model.rows[0]["status"] == "failed"


def test_an_event_fired_at_a_hosted_subscription_is_posted_by_the_module(
    ecg, window, qtbot, context
):
    org, remote, reg_id = mirror(ecg, context.db)
    keep_token(context.store, ecg.url, ecg.token)
    with context.db.session() as session:
        fields = {"name": "CentrePoint mirror", "url": "https://example.org/cp", "study_id": "1"}
        upsert_mirror(session, "centrepoint", "cp-1", fields, [VITALS], "https://api.example.org")
    before = ecg.deliveries()
    dialog = open_fire(window, qtbot, VITALS)
    radio = dialog.to_registrations  # clicked on its button, left of the label
    qtbot.mouseClick(radio, Qt.MouseButton.LeftButton, pos=QPoint(8, radio.height() // 2))
    assert radio.isChecked()
    items = {dialog.registrations.item(i).text(): dialog.registrations.item(i) for i in range(2)}
    hosted = next(item for text, item in items.items() if "posted by the ECG module" in text)
    centrepoint = next(item for text, item in items.items() if "CentrePoint mirror" in text)
    assert not centrepoint.flags() & Qt.ItemFlag.ItemIsEnabled
    assert "CentrePoint platform has no write routes" in centrepoint.toolTip()
    hosted.setCheckState(Qt.CheckState.Checked)
    dialog.count.setValue(2)
    assert dialog.problems.text().endswith(HOSTED_ONE_AT_A_TIME)
    assert not dialog.fire_button.isEnabled()
    dialog.count.setValue(1)

    qtbot.mouseClick(dialog.fire_button, Qt.MouseButton.LeftButton)

    qtbot.waitUntil(lambda: not dialog.isVisible())
    message = window.statusBar().currentMessage()
    assert message.startswith(f"The ECG module posted {VITALS} to registration {reg_id}")
    assert ecg.deliveries() == before + 1 and _local_deliveries(context) == 0
