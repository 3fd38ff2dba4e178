"""Firing from the Events tab as a tester does: at the built-in receiver, signed, and the
dialog remembering how it was used last time."""

from PySide6.QtCore import Qt

from tests.ui.test_registrations_tab import add_registration


def open_fire(window, qtbot, code="upload"):
    events = window.events_tab
    qtbot.waitUntil(lambda: events.tree.topLevelItemCount() > 0)
    events.select_event(code)
    before = events.fire_dialog
    events.fire_action.trigger()  # opens once its targets are read, off the GUI thread
    qtbot.waitUntil(lambda: events.fire_dialog is not before and events.fire_dialog.isVisible())
    return events.fire_dialog


def start_receiver(window, qtbot) -> str:
    receiver = window.receiver_tab
    receiver.port.setValue(0)
    qtbot.mouseClick(receiver.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: receiver.url.text() != "")
    return receiver.url.text()


def test_firing_at_the_built_in_receiver_is_signed_and_verified_by_default(window, qtbot):
    url = start_receiver(window, qtbot)
    dialog = open_fire(window, qtbot)
    assert dialog.sign_with.currentText() == "The throwaway secret the built-in receiver knows"
    dialog.url.setText(url + "hooks/ad-hoc")
    qtbot.mouseClick(dialog.fire_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.isVisible())
    window.engine_start_action.trigger()
    receiver = window.receiver_tab
    qtbot.waitUntil(
        lambda: any(r["event"] == "upload" for r in receiver.model.rows), timeout=10_000
    )
    row = next(r for r in receiver.model.rows if r["event"] == "upload")
    assert (row["signature"], row["secret_version"]) == ("valid", "throwaway")


def test_a_registrations_secret_can_sign_an_ad_hoc_fire(window, qtbot, context):
    add_registration(context, name="Sleep lab", auth_type="hmac", secret="lab secret")
    dialog = open_fire(window, qtbot)
    choices = [dialog.sign_with.itemText(i) for i in range(dialog.sign_with.count())]
    assert "Sleep lab's secret (hmac)" in choices
    assert "Unsigned" in choices


def test_the_dialog_remembers_target_count_and_signing(window, qtbot):
    dialog = open_fire(window, qtbot)
    dialog.url.setText("http://127.0.0.1:9/hooks/remembered")
    dialog.count.setValue(3)
    dialog.sign_with.setCurrentIndex(dialog.sign_with.findText("Unsigned"))
    qtbot.mouseClick(dialog.fire_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.isVisible())
    again = open_fire(window, qtbot)
    assert again is not dialog
    assert again.url.text() == "http://127.0.0.1:9/hooks/remembered"
    assert again.count.value() == 3
    assert again.sign_with.currentText() == "Unsigned"
