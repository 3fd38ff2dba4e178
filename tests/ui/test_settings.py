"""Settings: what a user sets is kept, checked, and used when the engine and receiver start."""

from PySide6.QtCore import Qt

from webhook_desk.ui.main_window import MainWindow
from webhook_desk.ui.preferences import Preferences


def open_settings(window, qtbot):
    window.open_settings()
    qtbot.waitUntil(lambda: window.settings_dialog.isVisible())
    return window.settings_dialog


def save_button(dialog):
    from PySide6.QtWidgets import QDialogButtonBox

    return dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Save)


def test_saved_settings_are_used_by_the_next_window(window, qtbot, context, settings):
    dialog = open_settings(window, qtbot)
    dialog.receiver_port.setValue(9911)
    dialog.engine_workers.setValue(2)
    qtbot.mouseClick(save_button(dialog), Qt.MouseButton.LeftButton)
    assert not dialog.isVisible()
    assert Preferences.load(settings).receiver_port == 9911
    context.engine = context.receiver = None  # a new start builds them from the settings
    second = MainWindow(context, settings)
    qtbot.addWidget(second)
    assert second.receiver_tab.port.value() == 9911
    assert context.engine.engine.workers == 2
    second.shutdown()


def test_connect_timeout_longer_than_total_is_refused(window, qtbot, settings):
    dialog = open_settings(window, qtbot)
    dialog.connect_timeout.setValue(30)
    dialog.total_timeout.setValue(10)
    qtbot.mouseClick(save_button(dialog), Qt.MouseButton.LeftButton)
    assert dialog.isVisible()
    assert dialog.error.text() == "The connect timeout cannot be longer than the total timeout."
    assert Preferences.load(settings).connect_timeout_s == 5.0


def test_a_mistyped_retry_schedule_is_said_as_you_type_and_blocks_save(window, qtbot, settings):
    dialog = open_settings(window, qtbot)
    assert dialog.retry_schedule.text() == "5s,5m,30m,2h,5h,10h,10h"
    dialog.retry_schedule.clear()
    qtbot.keyClicks(dialog.retry_schedule, "10s,2x")
    assert dialog.error.text() == (
        "'2x' is not a retry wait; write a number and s, m, h or d "
        "(e.g. 5s,5m,30m), or name a schedule (centrepoint)."
    )
    assert not save_button(dialog).isEnabled()
    qtbot.keyClick(dialog.retry_schedule, Qt.Key.Key_Backspace)
    qtbot.keyClicks(dialog.retry_schedule, "m")
    assert dialog.error.text() == ""
    assert save_button(dialog).isEnabled()


def test_the_saved_retry_schedule_is_the_engines_default_at_the_next_start(
    window, qtbot, context, settings
):
    from datetime import timedelta

    dialog = open_settings(window, qtbot)
    dialog.retry_schedule.clear()
    qtbot.keyClicks(dialog.retry_schedule, "30s,1h")
    qtbot.mouseClick(save_button(dialog), Qt.MouseButton.LeftButton)
    assert not dialog.isVisible()
    assert Preferences.load(settings).retry_schedule == "30s,1h"
    context.engine = context.receiver = None  # a new start builds them from the settings
    second = MainWindow(context, settings)
    qtbot.addWidget(second)
    assert context.engine.engine.default_schedule == [timedelta(seconds=30), timedelta(hours=1)]
    second.shutdown()


def test_validation_requests_are_unsigned_as_on_the_platform_unless_settings_say(
    window, qtbot, context, settings
):
    dialog = open_settings(window, qtbot)
    assert not dialog.sign_validation.isChecked()  # the platform's own default
    qtbot.mouseClick(dialog.sign_validation, Qt.MouseButton.LeftButton)
    dialog.retry_schedule.clear()
    qtbot.keyClicks(dialog.retry_schedule, "centrepoint")
    assert dialog.error.text() == ""
    qtbot.mouseClick(save_button(dialog), Qt.MouseButton.LeftButton)
    assert Preferences.load(settings).sign_validation is True
    context.engine = context.receiver = None  # a new start builds them from the settings
    second = MainWindow(context, settings)
    qtbot.addWidget(second)
    assert context.engine.engine.sign_validation is True
    assert [s.total_seconds() for s in context.engine.engine.default_schedule] == [
        0,
        0,
        86400,
        86400,
    ]
    second.shutdown()


def test_headers_named_secret_in_settings_are_redacted_from_then_on(window, qtbot, context):
    from webhook_desk import redaction

    dialog = open_settings(window, qtbot)
    qtbot.keyClicks(dialog.secret_headers, "X-Api-Key, X Token")
    assert dialog.error.text() == (
        "'X Token' is not a header name: use letters, digits and - only (no spaces or colon)."
    )
    assert not save_button(dialog).isEnabled()
    for _ in "X Token":
        qtbot.keyClick(dialog.secret_headers, Qt.Key.Key_Backspace)
    qtbot.keyClicks(dialog.secret_headers, "X-Token")
    assert dialog.error.text() == "" and save_button(dialog).isEnabled()
    qtbot.mouseClick(save_button(dialog), Qt.MouseButton.LeftButton)
    assert not dialog.isVisible()
    with context.db.session() as session:
        shown = redaction.redactor(session).headers({"x-token": "abc", "X-API-KEY": "def"})
    assert shown == {"x-token": "[redacted]", "X-API-KEY": "[redacted]"}
    assert open_settings(window, qtbot).secret_headers.text() == "X-Api-Key, X-Token"
