"""History's Record outcome…: a tester settles a delivery by hand, as seed 004's outcomes
route does; a contradictory outcome shows the service's sentence and records nothing."""

from PySide6.QtCore import Qt

from webhook_desk.services import firing


def test_an_outcome_is_recorded_from_the_history_and_a_contradiction_is_refused(
    show_history, window, qtbot, context
):
    with context.db.session() as session:
        [delivery] = firing.fire(session, "upload", url="http://127.0.0.1:9/hooks")
        delivery_id = delivery.id
    tab = show_history()
    qtbot.waitUntil(lambda: tab.model.rowCount() == 1)
    tab.table.selectRow(0)
    qtbot.waitUntil(lambda: tab.outcome_action.isEnabled())
    tab.outcome_action.trigger()
    dialog = tab.outcome_dialog
    qtbot.waitUntil(dialog.isVisible)
    qtbot.mouseClick(dialog.succeeded, Qt.MouseButton.LeftButton)
    dialog.status_code.setValue(503)
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "2xx" in dialog.problem.text())
    assert dialog.isVisible()
    assert tab.model.rows[0]["status"] == "pending"
    dialog.status_code.setValue(200)
    qtbot.keyClicks(dialog.error, "answered by phone")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.isVisible())
    qtbot.waitUntil(lambda: tab.model.rows[0]["status"] == "succeeded")
    assert tab.model.rows[0]["id"] == delivery_id
