"""History's Resend and Edit and resend follow where a delivery came from (the one rule,
services.resend.resend_route): one of the desk's own goes from here, one pulled from the ECG
module is retried by the module and not edited, one pulled from CentrePoint (no write routes)
is not resent at all, and each disabled button's tooltip says why; Resend all matching says
how many go each way."""

import threading

from ecg_module import mirror
from PySide6.QtCore import Qt
from sqlalchemy import select, update

from webhook_desk.db.models import Delivery
from webhook_desk.platform.ecg_sync import sync_ecg
from webhook_desk.platform.sync import keep_token
from webhook_desk.services import demo


def _demo_with_sources(context, *sources: str) -> list[int]:
    """The demo's deliveries, the newest failed ones marked as pulled from `sources`."""
    with context.db.session() as session:
        demo.load_demo(session, context.store, deliveries=100)
        failed = session.scalars(
            select(Delivery.id)
            .where(Delivery.status == "failed", Delivery.is_validation.is_(False))
            .order_by(Delivery.id.desc())
        ).all()
        for delivery_id, source in zip(failed, sources, strict=False):
            session.execute(
                update(Delivery).where(Delivery.id == delivery_id).values(source=source)
            )
        return failed[: len(sources)]


def _select(tab, qtbot, delivery_id: int) -> None:
    qtbot.waitUntil(lambda: tab.model.row_of(delivery_id) is not None, timeout=10_000)
    tab.table.selectRow(tab.model.row_of(delivery_id))
    qtbot.waitUntil(lambda: tab.selected_id() == delivery_id)


def test_resend_buttons_follow_where_the_delivery_came_from(show_history, qtbot, context):
    centrepoint, ecg = _demo_with_sources(context, "centrepoint", "ecg")
    tab = show_history()

    _select(tab, qtbot, centrepoint)
    for action in (tab.resend_action, tab.edit_resend_action):
        assert not action.isEnabled()
        assert action.toolTip() == (
            f"Delivery {centrepoint} was pulled from CentrePoint, which offers no route to "
            "resend it: resend it in CentrePoint itself."
        )

    _select(tab, qtbot, ecg)
    assert tab.resend_action.isEnabled()
    assert tab.resend_action.toolTip() == f"The ECG module retries delivery {ecg}."
    assert not tab.edit_resend_action.isEnabled()
    assert "resends a delivery only as it was" in tab.edit_resend_action.toolTip()

    ours = next(row["id"] for row in tab.model.rows if row["source"] != "centrepoint"
                and row["source"] != "ecg" and not row["is_validation"])  # fmt: skip
    _select(tab, qtbot, ours)
    assert tab.resend_action.isEnabled() and tab.edit_resend_action.isEnabled()
    assert tab.resend_action.toolTip() == "Send the selected delivery again, as it was"


def _resend_all_failed(tab, qtbot):
    tab.filters.status.setCurrentIndex(tab.filters.status.findData("failed"))
    qtbot.mouseClick(tab.filters.apply_button, Qt.MouseButton.LeftButton)
    tab.resend_all_action.trigger()
    dialog = tab.resend_all_dialog
    qtbot.waitUntil(lambda: dialog.action_button.isEnabled(), timeout=10_000)
    return dialog


def test_resend_all_retries_hosted_ones_on_the_module_and_leaves_centrepoint_ones_alone(
    ecg, show_history, qtbot, context
):
    [centrepoint] = _demo_with_sources(context, "centrepoint")
    org, remote, _reg_id = mirror(ecg, context.db)
    ecg.fail_activity(remote)
    sync_ecg(context.db, ecg.client(), org)
    keep_token(context.store, ecg.url, ecg.token)
    before = ecg.deliveries()
    dialog = _resend_all_failed(show_history(), qtbot)

    asked = dialog.message.text()
    assert "; 1 would be retried by the ECG module;" in asked
    assert "1 pulled from CentrePoint left alone (it has no resend route)" in asked
    qtbot.mouseClick(dialog.action_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.running, timeout=20_000)

    done = dialog.message.text()
    assert "deliveries queued again; 1 of 1 retried by the ECG module;" in done
    assert "1 pulled from CentrePoint left alone" in done
    assert ecg.deliveries() == before + 1  # the module queued its retry
    with context.db.session() as session:
        copied = session.scalars(select(Delivery.resent_from_id).where(
            Delivery.resent_from_id.is_not(None))).all()  # fmt: skip
        sources = {session.get(Delivery, original).source for original in copied}
    assert copied and centrepoint not in copied and sources.isdisjoint({"ecg", "centrepoint"})


def test_resend_all_shows_the_modules_retries_as_they_go(ecg, show_history, qtbot, context):
    org, remote, _reg_id = mirror(ecg, context.db)
    for _ in range(3):
        ecg.fail_activity(remote)
    sync_ecg(context.db, ecg.client(), org)
    keep_token(context.store, ecg.url, ecg.token)
    dialog = _resend_all_failed(show_history(), qtbot)
    released, report = threading.Event(), dialog.job.report

    def report_then_hold_at_the_last(*numbers) -> None:
        report(*numbers)
        if numbers[2:] == (3, 3):  # the worker waits until the person has seen it
            released.wait(20)

    dialog.job.report = report_then_hold_at_the_last
    qtbot.mouseClick(dialog.action_button, Qt.MouseButton.LeftButton)
    last = "Retried 3 of 3 through the ECG module…"
    qtbot.waitUntil(lambda: dialog.message.text() == last, timeout=20_000)
    assert dialog.progress.value() == dialog.progress.maximum() == 3
    released.set()
    qtbot.waitUntil(lambda: not dialog.running, timeout=20_000)
    assert "3 of 3 retried by the ECG module" in dialog.message.text()
