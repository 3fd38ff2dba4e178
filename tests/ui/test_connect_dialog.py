"""Connect…: a coordinator pulls a study's webhooks and history from the platform emulator,
sees progress and the outcome, and a wrong token is one sentence in the dialog."""

import pytest
from PySide6.QtCore import Qt
from sqlalchemy import func, select

from webhook_desk.db.models import Attempt, Registration
from webhook_desk.platform.mock_api import MockApi, MockOptions, demo_platform
from webhook_desk.platform.sync import keep_token, token_key
from webhook_desk.ui.dialogs.connect_dialog import ConnectDialog
from webhook_desk.ui.jobs import wait_for_jobs

TOKEN = "dialog-token"
ORGANIZATION = "7152ff07-72b4-4934-b96c-9283003188a1"


@pytest.fixture(scope="module")
def emulator(tmp_path_factory):
    folder = tmp_path_factory.mktemp("platform")
    db = demo_platform(f"sqlite:///{folder / 'platform.sqlite3'}", deliveries=400)
    api = MockApi(db, MockOptions(token=TOKEN))
    api.start("127.0.0.1", 0)
    yield api
    api.stop()
    db.dispose()


def open_dialog(context, qtbot, url, scope, token, platform="centrepoint"):
    dialog = ConnectDialog(context)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.platform.setCurrentIndex(dialog.platform.findData(platform))
    qtbot.keyClicks(dialog.api_url, url)
    qtbot.keyClicks(dialog.scope, scope)
    qtbot.keyClicks(dialog.token, token)
    qtbot.mouseClick(dialog.connect_button, Qt.MouseButton.LeftButton)
    return dialog


def test_connecting_pulls_the_studys_webhooks_and_history(context, qtbot, emulator):
    dialog = open_dialog(context, qtbot, emulator.url, "1064", TOKEN)
    qtbot.waitUntil(lambda: not dialog.running, timeout=30_000)
    wait_for_jobs()
    assert "1 registrations added" in dialog.message.text(), dialog.message.text()
    with context.db.session() as session:
        mirror = session.scalar(select(Registration).where(Registration.source == "centrepoint"))
        records = session.scalar(select(func.count()).select_from(Attempt))
    assert mirror.study_id == "1064"
    assert f"{records:,} history records added" in dialog.message.text()
    assert dialog.token.text() == ""  # the token went to the keyring, not left in the field


def test_a_wrong_token_is_one_sentence_in_the_dialog(context, qtbot, emulator):
    dialog = open_dialog(context, qtbot, emulator.url, ORGANIZATION, "nope", "ecg")
    qtbot.waitUntil(lambda: not dialog.running, timeout=30_000)
    wait_for_jobs()
    assert dialog.message.text() == (
        f"The platform at {emulator.url} refused the API token: the token is wrong or expired."
    )


def test_a_wrong_token_leaves_the_working_one_kept(context, qtbot, emulator):
    keep_token(context.store, emulator.url, TOKEN)  # connected before with the right one
    dialog = open_dialog(context, qtbot, emulator.url, ORGANIZATION, TOKEN + "x", "ecg")
    qtbot.waitUntil(lambda: not dialog.running, timeout=30_000)
    wait_for_jobs()
    assert "refused the API token" in dialog.message.text()
    assert context.store.get(token_key(emulator.url)) == TOKEN


def test_missing_fields_are_asked_for_before_connecting(context, qtbot):
    dialog = ConnectDialog(context)
    qtbot.addWidget(dialog)
    qtbot.mouseClick(dialog.connect_button, Qt.MouseButton.LeftButton)
    assert dialog.message.text() == "Give the API URL and the study ID."
    assert not dialog.running


def test_the_file_menu_opens_connect(window, qtbot):
    window.connect_action.trigger()
    qtbot.waitUntil(lambda: window.connect_dialog.isVisible())
    assert window.connect_dialog.windowTitle() == "Connect to the platform"
    window.connect_dialog.reject()


def test_a_long_outcome_is_not_cut_off_at_the_dialogs_bottom(context, qtbot):
    """Qt sizes a dialog once; a sentence that arrives later must still be read in full."""
    dialog = ConnectDialog(context)
    qtbot.addWidget(dialog)
    dialog.show()
    outcome = "The platform answered, but " + "with more to say than one line holds; " * 8

    def tell(_result) -> None:
        dialog.message.setText(outcome)

    dialog.run(lambda: None, tell, tell, "Connecting…")
    qtbot.waitUntil(lambda: dialog.message.text() == outcome)
    label = dialog.message
    assert label.height() >= label.heightForWidth(label.width())
