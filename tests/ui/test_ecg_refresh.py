"""The background refresh of hosted ECG modules: Settings say how often, the window pulls the
module (`webhook-desk serve` in its own process) off the GUI thread, the tabs show what
changed there, the status bar says when it ran or why it failed, and new failures notify."""

import socket

from ecg_module import PHONE, VITALS, mirror
from PySide6.QtCore import Qt, QThreadPool
from test_registrations_tab import table_texts, wait_for_rows
from test_settings import open_settings, save_button

from webhook_desk.db.models import Registration
from webhook_desk.platform.sync import keep_token, upsert_mirror
from webhook_desk.ui.preferences import Preferences


def test_refresh_every_n_minutes_is_remembered_and_rescheduled_at_once(window, qtbot, settings):
    refresh = window.hosted_refresh
    assert refresh.timer.isActive() and refresh.timer.interval() == 15 * 60_000

    dialog = open_settings(window, qtbot)
    assert dialog.hosted_refresh.value() == 15
    dialog.hosted_refresh.setValue(5)
    qtbot.mouseClick(save_button(dialog), Qt.MouseButton.LeftButton)
    assert Preferences.load(settings).hosted_refresh_minutes == 5
    assert refresh.timer.isActive() and refresh.timer.interval() == 5 * 60_000

    dialog = open_settings(window, qtbot)
    assert dialog.hosted_refresh.value() == 5
    dialog.hosted_refresh.setValue(0)
    assert dialog.hosted_refresh.text() == "off"
    qtbot.mouseClick(save_button(dialog), Qt.MouseButton.LeftButton)
    assert not refresh.timer.isActive()


def test_the_refresh_brings_the_modules_changes_and_failures_into_the_tabs(
    ecg, window, qtbot, context
):
    org, remote, reg_id = mirror(ecg, context.db)
    keep_token(context.store, ecg.url, ecg.token)
    tab = window.registrations_tab
    tab.refresh()
    wait_for_rows(tab, qtbot, 1)
    ecg.patch(org, remote, [{"op": "replace", "path": "/events", "value": [PHONE, VITALS]}])
    ecg.fail_activity(remote)
    history = window.history_tab
    window.tabs.setCurrentWidget(history)  # the user watches History
    qtbot.waitUntil(lambda: not history.model.loading)
    assert history.model.rowCount() == 0

    window.hosted_refresh.timer.timeout.emit()  # as when its minutes are up

    qtbot.waitUntil(lambda: history.model.rowCount() == 1)
    qtbot.waitUntil(lambda: PHONE in table_texts(tab)[0][-1])
    label = window.hosted_refresh.label
    assert label.isVisible() and label.text().startswith("Hosted: refreshed ")
    assert window.statusBar().currentMessage() == (
        "Hosted deliveries failed: 1 new failed delivery on the ECG module; see History."
    )


def test_a_module_that_cannot_be_reached_is_said_in_the_status_bar(ecg, window, qtbot, context):
    org, remote, reg_id = mirror(ecg, context.db)
    with context.db.session() as session:
        session.get(Registration, reg_id).remote_origin = "http://127.0.0.1:9"  # nothing there
    keep_token(context.store, "http://127.0.0.1:9", ecg.token)
    tab = window.registrations_tab
    tab.refresh()
    wait_for_rows(tab, qtbot, 1)

    window.hosted_refresh.run()

    label = window.hosted_refresh.label
    qtbot.waitUntil(lambda: label.text() == "Hosted: refresh failed", timeout=15_000)
    assert label.toolTip().startswith(
        "The hosted refresh failed: The platform at http://127.0.0.1:9 cannot be reached"
    )
    assert table_texts(tab)[0][-1] == VITALS


def test_a_silent_module_holds_up_none_of_the_windows_own_reads(window, qtbot, context):
    """The window's reads share the global pool (a thread per core); a refresh waiting on a
    module that never answers must not take one of them."""
    silent = socket.socket()  # listens, never answers: requests wait out their timeout
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    origin = f"http://127.0.0.1:{silent.getsockname()[1]}"
    fields = {"name": "Silent", "url": "https://example.org/hook", "organization_id": "org-1"}
    with context.db.session() as session:
        upsert_mirror(session, "ecg", "remote-1", fields, [VITALS], origin)
    keep_token(context.store, origin, "token")
    pool = QThreadPool.globalInstance()
    threads = pool.maxThreadCount()
    pool.setMaxThreadCount(1)  # as on one core: a job holding the thread stalls every read
    try:
        window.hosted_refresh.run()
        tab = window.registrations_tab
        tab.refresh()
        wait_for_rows(tab, qtbot, 1)
        assert window.hosted_refresh.running  # still waiting on the module meanwhile
    finally:
        pool.setMaxThreadCount(threads)
        silent.close()  # the waiting requests fail, the refresh ends
    label = window.hosted_refresh.label
    qtbot.waitUntil(lambda: label.text() == "Hosted: refresh failed", timeout=15_000)
