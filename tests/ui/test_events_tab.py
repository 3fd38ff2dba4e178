"""The Events tab, driven as a tester would: pick an event, edit its payload, fire it."""

import json

from PySide6.QtCore import QPoint, Qt
from sqlalchemy import select

from webhook_desk.db.models import Delivery
from webhook_desk.settings import receiver_default_url


def tick(qtbot, checkbox):
    """Click the box itself, as a person would (a wide checkbox's middle may be empty space)."""
    qtbot.mouseClick(checkbox, Qt.MouseButton.LeftButton, pos=QPoint(8, checkbox.height() // 2))
    assert checkbox.isChecked()


def open_fire_dialog(window, qtbot, code="upload"):
    tab = window.events_tab
    qtbot.waitUntil(lambda: tab.tree.topLevelItemCount() > 0)
    tab.select_event(code)
    assert tab.current_event().code == code
    tab.fire_action.trigger()
    qtbot.waitUntil(lambda: tab.fire_dialog is not None and tab.fire_dialog.isVisible())
    return tab.fire_dialog


def test_selected_event_shows_its_samples(window, qtbot):
    tab = window.events_tab
    qtbot.waitUntil(lambda: tab.tree.topLevelItemCount() > 0)
    tab.select_event("upload")
    assert [tab.samples.itemText(i) for i in range(tab.samples.count())] == [
        "started",
        "completed",
        "error",
    ]
    assert json.loads(tab.viewer.toPlainText())["status"] == "started"
    tab.samples.setCurrentText("error")
    assert json.loads(tab.viewer.toPlainText())["status"] == "error"


def test_fire_dialog_aims_at_the_built_in_receiver_by_default(window, qtbot):
    dialog = open_fire_dialog(window, qtbot)
    assert dialog.to_url.isChecked()
    assert dialog.url.text() == receiver_default_url()
    assert dialog.problems.text() == "The payload matches the schema."
    assert dialog.fire_button.isEnabled()


def test_payload_that_breaks_the_schema_is_named_field_by_field(window, qtbot):
    dialog = open_fire_dialog(window, qtbot)
    text = dialog.editor.toPlainText().replace('"started"', '"done"')
    dialog.editor.setPlainText(text)
    qtbot.waitUntil(lambda: "status" in dialog.problems.text())
    assert dialog.problems.text() == "status: 'done' is not one of 'started', 'completed', 'error'"
    assert not dialog.fire_button.isEnabled()
    tick(qtbot, dialog.skip_schema)
    assert dialog.fire_button.isEnabled()


def test_text_that_is_not_json_cannot_be_sent_even_when_the_schema_is_waived(window, qtbot):
    dialog = open_fire_dialog(window, qtbot)
    dialog.skip_schema.setChecked(True)
    dialog.editor.setPlainText('{"status": ')
    qtbot.waitUntil(lambda: dialog.problems.text().startswith("Not JSON"))
    assert not dialog.fire_button.isEnabled()


def test_firing_queues_the_chosen_count_of_deliveries(window, qtbot, context):
    dialog = open_fire_dialog(window, qtbot)
    dialog.count.setValue(3)
    qtbot.mouseClick(dialog.fire_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.isVisible())
    with context.db.session() as session:
        deliveries = session.scalars(select(Delivery)).all()
        assert len(deliveries) == 3
        assert {d.target_url for d in deliveries} == {receiver_default_url()}
        assert {d.event_code for d in deliveries} == {"upload"}
        assert json.loads(deliveries[0].payload)["status"] == "started"
