"""A coordinator disables a hosted ECG subscription from the Registrations tab: the module
(`webhook-desk serve` in its own process) takes the change first, then the mirror shows it."""

from ecg_module import PHONE, VITALS, mirror
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox
from test_registrations_tab import fill, open_add_dialog, table_texts, wait_for_rows

from webhook_desk.db.models import Registration
from webhook_desk.platform.sync import keep_token, upsert_mirror
from webhook_desk.services import audit


def _disable(window, qtbot, reason: str):
    tab = window.registrations_tab
    tab.refresh()
    wait_for_rows(tab, qtbot, 1)
    tab.table.selectRow(0)
    tab.actions_by_name["disable"].trigger()
    qtbot.keyClicks(tab.reason_dialog.reason, reason)
    qtbot.mouseClick(tab.reason_dialog.ok_button, Qt.MouseButton.LeftButton)
    return tab


def test_disabling_a_hosted_subscription_disables_it_on_the_module(ecg, window, qtbot, context):
    org, remote, reg_id = mirror(ecg, context.db)
    keep_token(context.store, ecg.url, ecg.token)  # as Connect… keeps it

    tab = _disable(window, qtbot, "receiver down")

    qtbot.waitUntil(lambda: table_texts(tab)[0][2] == "disabled")
    assert ecg.registration(remote)["status"] == "disabled"
    with context.db.session() as session:
        entry = audit.entries(session, limit=1)[0]
        assert (entry.action, entry.entity_id) == ("registration.disable", str(reg_id))
        assert entry.reason.startswith("receiver down") and remote in entry.reason


def test_a_refusal_by_the_module_is_shown_and_changes_neither_side(ecg, window, qtbot, context):
    org, remote, reg_id = mirror(ecg, context.db)
    keep_token(context.store, ecg.url, "not-the-token")

    tab = _disable(window, qtbot, "receiver down")

    qtbot.waitUntil(lambda: tab.findChild(QMessageBox, "error_message") is not None)
    sentence = tab.findChild(QMessageBox, "error_message").text()
    assert "refused the API token" in sentence and "nothing was changed here" in sentence
    assert table_texts(tab)[0][2] == "enabled"
    assert ecg.registration(remote)["status"] == "enabled"


def _edit_events(window, qtbot, tick: str, reason: str):
    """Open the edit dialog on the one row, tick an event, give a reason, save."""
    tab = window.registrations_tab
    tab.refresh()
    wait_for_rows(tab, qtbot, 1)
    tab.table.selectRow(0)
    tab.actions_by_name["edit"].trigger()
    qtbot.waitUntil(lambda: tab.dialog is not None and tab.dialog.isVisible())
    dialog = tab.dialog
    assert dialog.windowTitle() == "Edit hosted ECG subscription"
    assert not dialog.name.isEnabled() and not dialog.auth_type.isEnabled()
    for i in range(dialog.events_list.count()):
        item = dialog.events_list.item(i)
        if item.data(Qt.ItemDataRole.UserRole) == tick:
            item.setCheckState(Qt.CheckState.Checked)
    qtbot.keyClicks(dialog.reason, reason)
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    return tab, dialog


def test_a_coordinator_adds_an_event_to_a_hosted_subscription_in_the_dialog(
    ecg, window, qtbot, context
):
    org, remote, reg_id = mirror(ecg, context.db)
    keep_token(context.store, ecg.url, ecg.token)

    tab, dialog = _edit_events(window, qtbot, PHONE, "phone logs too")

    qtbot.waitUntil(lambda: PHONE in table_texts(tab)[0][-1])
    assert not dialog.isVisible()
    assert sorted(ecg.registration(remote)["events"]) == [PHONE, VITALS]
    with context.db.session() as session:
        entry = audit.entries(session, limit=1)[0]
        assert (entry.action, entry.entity_id) == ("registration.update", str(reg_id))
        assert entry.reason.startswith("phone logs too") and remote in entry.reason
        assert sorted(entry.after["events"]) == [PHONE, VITALS]


def mirror_of_url(session, url: str) -> Registration:
    return session.query(Registration).filter_by(url=url).one()


def _select_mirror(window, qtbot, context, source: str):
    with context.db.session() as session:
        fields = {"name": f"{source} mirror", "url": "https://example.org/hook", "study_id": "1"}
        upsert_mirror(session, source, "remote-1", fields, [VITALS], "https://api.example.org")
    tab = window.registrations_tab
    tab.refresh()
    wait_for_rows(tab, qtbot, 1)
    tab.table.selectRow(0)
    return tab.actions_by_name


def test_a_centrepoint_mirror_cannot_be_changed_and_the_buttons_say_why(window, qtbot, context):
    actions = _select_mirror(window, qtbot, context, "centrepoint")

    for name in ("edit", "disable", "archive", "rotate"):
        assert not actions[name].isEnabled(), name
        assert "CentrePoint platform has no write routes" in actions[name].toolTip()
    assert actions["delete"].isEnabled()


def test_a_hosted_subscription_is_changed_secret_included(window, qtbot, context):
    actions = _select_mirror(window, qtbot, context, "ecg")

    for name in ("edit", "disable", "rotate"):
        assert actions[name].isEnabled(), name
    assert actions["disable"].toolTip().startswith("Disable (")
    assert actions["rotate"].toolTip().startswith("Rotate secret (")


def test_deleting_a_hosted_subscription_deletes_it_on_the_module(ecg, window, qtbot, context):
    org, remote, reg_id = mirror(ecg, context.db)
    keep_token(context.store, ecg.url, ecg.token)
    tab = window.registrations_tab
    tab.refresh()
    wait_for_rows(tab, qtbot, 1)
    tab.table.selectRow(0)

    tab.actions_by_name["delete"].trigger()
    assert "on the ECG module and here" in tab.reason_dialog.question.text()
    qtbot.mouseClick(tab.reason_dialog.ok_button, Qt.MouseButton.LeftButton)

    wait_for_rows(tab, qtbot, 0)
    assert ecg.find(remote) is None


def test_a_new_organisation_subscription_is_made_on_the_connected_module(
    ecg, window, qtbot, context
):
    mirror(ecg, context.db)  # connected: a subscription of the module is mirrored here
    keep_token(context.store, ecg.url, ecg.token)
    dialog = open_add_dialog(window, qtbot)
    dialog.owner_kind.setCurrentIndex(1)  # Organisation
    assert dialog.where.isVisible()
    dialog.where.setCurrentIndex(dialog.where.findData(ecg.url))
    fill(dialog, qtbot, url="https://example.org/new-hook", study="org-new", events=(VITALS,))
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)

    tab = window.registrations_tab
    qtbot.waitUntil(lambda: getattr(tab, "secret_dialog", None) is not None)
    assert tab.secret_dialog.windowTitle() == "New registration's secret"
    with context.db.session() as session:
        made = mirror_of_url(session, "https://example.org/new-hook")
        assert (made.source, made.organization_id) == ("ecg", "org-new")
        remote = made.remote_id
    served = ecg.registration(remote)
    assert (served["url"], served["events"]) == ("https://example.org/new-hook", [VITALS])


def test_without_a_connected_module_a_new_registration_is_made_here_only(window, qtbot):
    dialog = open_add_dialog(window, qtbot)
    dialog.owner_kind.setCurrentIndex(1)
    assert not dialog.where.isVisible()
