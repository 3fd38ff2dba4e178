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
from webhook_desk.ui.dialogs.resend_all_dialog import CLOSE


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


def _three_failed_on_the_module(ecg, context) -> None:
    """Three failed activities on the module, mirrored here, its token kept."""
    org, remote, _reg_id = mirror(ecg, context.db)
    for _ in range(3):
        ecg.fail_activity(remote)
    sync_ecg(context.db, ecg.client(), org)
    keep_token(context.store, ecg.url, ecg.token)


def _start_holding_at(dialog, qtbot, tried: int) -> threading.Event:
    """Press Resend; the worker holds once it has reported `tried` of 3 module retries (as a
    person sees them) until the event returned is set."""
    released, report = threading.Event(), dialog.job.report

    def report_then_hold(*numbers) -> None:
        report(*numbers)
        if numbers[2:] == (tried, 3):
            released.wait(20)

    dialog.job.report = report_then_hold
    qtbot.mouseClick(dialog.action_button, Qt.MouseButton.LeftButton)
    shown = f"Retried {tried} of 3 through the ECG module…"
    qtbot.waitUntil(lambda: dialog.message.text() == shown, timeout=20_000)
    return released


def test_resend_all_shows_the_modules_retries_as_they_go(ecg, show_history, qtbot, context):
    _three_failed_on_the_module(ecg, context)
    dialog = _resend_all_failed(show_history(), qtbot)
    released = _start_holding_at(dialog, qtbot, 3)
    assert dialog.progress.value() == dialog.progress.maximum() == 3
    released.set()
    qtbot.waitUntil(lambda: not dialog.running, timeout=20_000)
    assert "3 of 3 retried by the ECG module" in dialog.message.text()


def _module_retries(ecg) -> list[int]:
    """The activity each retry the module queued repeats (one entry a retry)."""
    with ecg.db.session() as session:
        return session.scalars(select(Delivery.resent_from_id).where(
            Delivery.resent_from_id.is_not(None)).order_by(Delivery.id)).all()  # fmt: skip


STOPPED = "Stopped after 1 of 3 retries through the ECG module; resend all matching again to go on."


def test_cancel_stops_the_modules_retries_and_a_rerun_goes_on_with_the_rest(
    ecg, show_history, qtbot, context
):
    _three_failed_on_the_module(ecg, context)
    before = len(_module_retries(ecg))  # the module serves the other tests too
    tab = show_history()
    dialog = _resend_all_failed(tab, qtbot)
    released = _start_holding_at(dialog, qtbot, 1)
    qtbot.mouseClick(dialog.buttons.button(CLOSE), Qt.MouseButton.LeftButton)
    released.set()
    qtbot.waitUntil(lambda: not dialog.running, timeout=20_000)

    assert dialog.message.text() == STOPPED
    assert len(_module_retries(ecg)) == before + 1
    qtbot.mouseClick(dialog.buttons.button(CLOSE), Qt.MouseButton.LeftButton)  # Close

    again = _resend_all_failed(tab, qtbot)
    qtbot.mouseClick(again.action_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not again.running, timeout=20_000)
    assert "2 of 2 retried by the ECG module" in again.message.text()
    retries = _module_retries(ecg)[before:]
    assert len(retries) == len(set(retries)) == 3  # each of the three exactly once


def test_closing_the_dialog_stops_the_modules_retries_too(ecg, show_history, qtbot, context):
    _three_failed_on_the_module(ecg, context)
    before = len(_module_retries(ecg))
    dialog = _resend_all_failed(show_history(), qtbot)
    released = _start_holding_at(dialog, qtbot, 1)
    dialog.close()  # the title bar's close button
    released.set()
    qtbot.waitUntil(lambda: not dialog.running, timeout=20_000)

    assert not dialog.isVisible() and dialog.message.text() == STOPPED
    assert len(_module_retries(ecg)) == before + 1
