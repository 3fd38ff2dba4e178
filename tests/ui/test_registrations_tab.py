"""The Registrations tab, driven as a coordinator would: type, click, read what the window says."""

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication

from webhook_desk.services import audit, registrations
from webhook_desk.services.registrations import RegistrationInput
from webhook_desk.ui.dialogs.registration_dialog import RegistrationDialog

GOOD_URL = "https://hooks.example.org/centrepoint"


def add_registration(context, secret=None, **fields) -> int:
    data = RegistrationInput(
        **{"url": GOOD_URL, "study_id": "1064", "events": ["upload"], "name": "Sleep lab", **fields}
    )
    with context.db.session() as session:
        reg, _ = registrations.add(session, context.store, data, secret=secret)
        session.flush()
        return reg.id


def one_registration_selected(window, qtbot, context, **fields):
    """A registration in the table, its row selected: (the tab, its id)."""
    reg_id = add_registration(context, **fields)
    tab = window.registrations_tab
    tab.refresh()
    wait_for_rows(tab, qtbot, 1)
    tab.table.selectRow(0)
    return tab, reg_id


def open_add_dialog(window, qtbot) -> RegistrationDialog:
    tab = window.registrations_tab
    tab.actions_by_name["add"].trigger()
    qtbot.waitUntil(lambda: tab.dialog is not None and tab.dialog.isVisible())
    return tab.dialog


def fill(dialog, qtbot, url=GOOD_URL, study="1064", name="Sleep lab", events=("upload",)):
    qtbot.keyClicks(dialog.name, name)
    qtbot.keyClicks(dialog.owner_id, study)
    qtbot.keyClicks(dialog.url, url)
    for i in range(dialog.events_list.count()):
        item = dialog.events_list.item(i)
        if item.data(Qt.ItemDataRole.UserRole) in events:
            item.setCheckState(Qt.CheckState.Checked)


def table_texts(tab) -> list[list[str]]:
    model = tab.proxy
    return [
        [model.index(r, c).data() for c in range(model.columnCount())]
        for r in range(model.rowCount())
    ]


def wait_for_rows(tab, qtbot, count):
    qtbot.waitUntil(lambda: tab.proxy.rowCount() == count)


def test_registration_added_in_the_dialog_appears_in_the_table(window, qtbot):
    dialog = open_add_dialog(window, qtbot)
    fill(dialog, qtbot)
    assert dialog.save_button.isEnabled()
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    tab = window.registrations_tab
    wait_for_rows(tab, qtbot, 1)
    row = table_texts(tab)[0]
    assert row[:4] == ["Sleep lab", "Study 1064", "enabled", "pending"]
    assert row[7:] == ["none", GOOD_URL, "upload"]
    assert not dialog.isVisible()


@pytest.mark.parametrize(
    ("url", "development", "message"),
    [
        ("", False, "Enter the target URL."),
        ("hooks.example.org", False, "'hooks.example.org' is not an absolute http(s) URL."),
        (
            "ftp://hooks.example.org/x",
            False,
            "'ftp://hooks.example.org/x' is not an absolute http(s) URL.",
        ),
        (
            "http://127.0.0.1:8787/",
            False,
            "'http://127.0.0.1:8787/' uses plain http, which only a "
            "development registration may use.",
        ),
        (
            "https://hooks.example.org:99999/",
            False,
            "'https://hooks.example.org:99999/' has an invalid port.",
        ),
    ],
)
def test_bad_url_shows_the_rule_and_disables_save(window, qtbot, url, development, message):
    dialog = open_add_dialog(window, qtbot)
    fill(dialog, qtbot, url=url)
    dialog.development.setChecked(development)
    assert dialog.error_label.text() == message
    assert not dialog.save_button.isEnabled()


def test_plain_http_is_fine_for_a_development_registration(window, qtbot):
    dialog = open_add_dialog(window, qtbot)
    fill(dialog, qtbot, url="http://127.0.0.1:8787/")
    qtbot.mouseClick(dialog.development, Qt.MouseButton.LeftButton)
    assert dialog.development.isChecked()
    assert dialog.error_label.text() == ""
    assert dialog.save_button.isEnabled()


def test_form_asks_for_the_credentials_of_the_chosen_auth_type(window, qtbot):
    dialog = open_add_dialog(window, qtbot)
    fill(dialog, qtbot)
    dialog.auth_type.setCurrentIndex(dialog.auth_type.findData("basic"))
    assert dialog.error_label.text() == "Basic authentication needs a username."
    qtbot.keyClicks(dialog.username, "centrepoint")
    assert dialog.error_label.text() == "Basic authentication needs a password."
    qtbot.keyClicks(dialog.password, "s3cret-pass")
    assert dialog.save_button.isEnabled()
    dialog.auth_type.setCurrentIndex(dialog.auth_type.findData("oauth2"))
    # The service's words (the form once said "OAuth2 needs the token URL.", a drifted copy).
    assert dialog.error_label.text() == (
        "OAuth2 client credentials need a token URL and a client id."
    )


def test_generated_secret_is_shown_once_with_a_copy_button(window, qtbot, memory_keyring):
    dialog = open_add_dialog(window, qtbot)
    fill(dialog, qtbot)
    dialog.auth_type.setCurrentIndex(dialog.auth_type.findData("hmac"))
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    tab = window.registrations_tab
    qtbot.waitUntil(lambda: getattr(tab, "secret_dialog", None) is not None)
    shown = tab.secret_dialog.secret_field.text()
    assert shown in memory_keyring.values.values()
    qtbot.mouseClick(tab.secret_dialog.copy_button, Qt.MouseButton.LeftButton)
    assert QGuiApplication.clipboard().text() == shown
    tab.secret_dialog.reject()
    assert tab.secret_dialog.secret_field.text() == ""
    wait_for_rows(tab, qtbot, 1)
    tab.table.selectRow(0)
    assert "v1 hmac" in tab.detail.secrets.text()
    assert shown not in tab.detail.secrets.text()


def test_edit_never_shows_the_saved_secret(window, qtbot, context):
    add_registration(context, secret="s3cret-pass", auth_type="basic", username="centrepoint")
    tab = window.registrations_tab
    tab.refresh()
    wait_for_rows(tab, qtbot, 1)
    tab.table.selectRow(0)
    tab.actions_by_name["edit"].trigger()
    qtbot.waitUntil(lambda: tab.dialog is not None)  # its event list is read first
    dialog = tab.dialog
    assert dialog.username.text() == "centrepoint"
    assert dialog.password.text() == ""
    assert dialog.password.placeholderText() == "saved — leave empty to keep it"
    assert dialog.save_button.isEnabled()


def test_disable_asks_for_a_reason_that_goes_to_the_audit(window, qtbot, context):
    reg_id = add_registration(context)
    tab = window.registrations_tab
    tab.refresh()
    wait_for_rows(tab, qtbot, 1)
    tab.table.selectRow(0)
    tab.actions_by_name["disable"].trigger()
    qtbot.keyClicks(tab.reason_dialog.reason, "receiver down for maintenance")
    qtbot.mouseClick(tab.reason_dialog.ok_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: table_texts(tab)[0][2] == "disabled")
    assert tab.actions_by_name["enable"].isEnabled()
    assert not tab.actions_by_name["disable"].isEnabled()
    with context.db.session() as session:
        entry = audit.entries(session, limit=1)[0]
        assert (entry.action, entry.entity_id) == ("registration.disable", str(reg_id))
        assert entry.reason == "receiver down for maintenance"


def test_delete_happens_only_after_confirmation(window, qtbot, context):
    add_registration(context)
    tab = window.registrations_tab
    tab.refresh()
    wait_for_rows(tab, qtbot, 1)
    tab.table.selectRow(0)
    tab.actions_by_name["delete"].trigger()
    assert "cannot be undone" in tab.reason_dialog.question.text()
    tab.reason_dialog.reject()
    tab.actions_by_name["delete"].trigger()
    qtbot.mouseClick(tab.reason_dialog.ok_button, Qt.MouseButton.LeftButton)
    wait_for_rows(tab, qtbot, 0)


def test_search_narrows_the_table(window, qtbot, context):
    add_registration(context, name="Sleep lab")
    add_registration(
        context, name="Cardio ingest", study_id="8", url="https://ingest.cardio.example.com/hooks"
    )
    tab = window.registrations_tab
    tab.refresh()
    wait_for_rows(tab, qtbot, 2)
    qtbot.keyClicks(tab.search, "cardio")
    assert [row[0] for row in table_texts(tab)] == ["Cardio ingest"]
    tab.search.clear()
    assert tab.proxy.rowCount() == 2


def test_validate_runs_the_handshake_against_the_built_in_receiver(window, qtbot, context):
    receiver = window.receiver_tab
    receiver.port.setValue(0)
    qtbot.mouseClick(receiver.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: receiver.url.text() != "")
    add_registration(context, url=receiver.url.text() + "hooks/1064", is_development=True)
    tab = window.registrations_tab
    tab.refresh()
    wait_for_rows(tab, qtbot, 1)
    tab.table.selectRow(0)
    assert table_texts(tab)[0][3] == "pending"
    qtbot.mouseClick(
        tab.toolbar.widgetForAction(tab.actions_by_name["validate"]), Qt.MouseButton.LeftButton
    )
    qtbot.waitUntil(lambda: table_texts(tab)[0][3] == "validated", timeout=10_000)
    assert tab.detail.values["Validation"].text() == "validated"


def test_failed_handshake_says_why(window, qtbot, context):
    receiver = window.receiver_tab
    receiver.port.setValue(0)
    receiver.fail_validation.setChecked(True)
    qtbot.mouseClick(receiver.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: receiver.url.text() != "")
    add_registration(context, url=receiver.url.text() + "hooks/1064", is_development=True)
    tab = window.registrations_tab
    tab.refresh()
    wait_for_rows(tab, qtbot, 1)
    tab.table.selectRow(0)
    tab.actions_by_name["validate"].trigger()
    qtbot.waitUntil(lambda: table_texts(tab)[0][3] == "failed", timeout=10_000)
    assert tab.detail.values["Validation"].text() == (
        "failed — The endpoint answered 200 but did not echo the X-ActiGraph-Hook-Secret header."
    )


def test_without_a_keyring_the_dialog_says_so_and_stores_nothing(window, qtbot, context):
    import keyring
    from keyring.backends import fail

    keyring.set_keyring(fail.Keyring())  # the memory_keyring fixture restores the old one
    dialog = open_add_dialog(window, qtbot)
    fill(dialog, qtbot)
    dialog.auth_type.setCurrentIndex(dialog.auth_type.findData("hmac"))
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    label = dialog.error_label
    qtbot.waitUntil(lambda: label.text().startswith("No secure keyring is available"))
    assert "GNOME Keyring or KWallet" in label.text()
    assert "keyring.backends" not in label.text()  # no Python class names in the window
    qtbot.waitUntil(lambda: label.height() >= label.heightForWidth(label.width()))  # not cut off
    assert dialog.isVisible()
    with context.db.session() as session:
        assert registrations.list_all(session) == []


def test_disabled_registration_is_not_offered_as_a_target(window, qtbot, context):
    reg_id = add_registration(context)
    with context.db.session() as session:
        registrations.set_status(session, reg_id, "disable", "receiver retired")
    events = window.events_tab
    qtbot.waitUntil(lambda: events.tree.topLevelItemCount() > 0)
    events.select_event("upload")
    events.fire_action.trigger()
    qtbot.waitUntil(lambda: events.fire_dialog is not None)  # its targets are read first
    assert events.fire_dialog.registrations.count() == 0
    assert not events.fire_dialog.to_registrations.isEnabled()


def test_an_organisation_is_offered_the_ecg_events_and_an_event_version(window, qtbot, context):
    dialog = open_add_dialog(window, qtbot)

    def offered():
        items = (dialog.events_list.item(i) for i in range(dialog.events_list.count()))
        return sorted(i.data(Qt.ItemDataRole.UserRole) for i in items if not i.isHidden())

    assert "upload" in offered() and "vitals.observations.created" not in offered()
    assert not dialog.event_version.isEnabled()
    dialog.owner_kind.setCurrentIndex(1)
    assert offered() == [
        "messages.acknowledged",
        "phone.logs.created",
        "vitals.observations.created",
    ]
    dialog.event_version.setCurrentText("v2")
    fill(
        dialog,
        qtbot,
        study="7152ff07-72b4-4934-b96c-9283003188a1",
        events=("vitals.observations.created",),
    )
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    wait_for_rows(window.registrations_tab, qtbot, 1)
    with context.db.session() as session:
        reg = registrations.list_all(session)[0]
        assert (reg.organization_id, reg.event_version, reg.event_codes) == (
            "7152ff07-72b4-4934-b96c-9283003188a1",
            "v2",
            ["vitals.observations.created"],
        )
