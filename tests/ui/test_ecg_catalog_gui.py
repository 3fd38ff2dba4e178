"""The Events tab's catalog edits while an ECG module (`webhook-desk serve` in its own process)
is connected: an ECG module's event and its samples change on the module first, then here;
a refusal leaves both catalogs as they were; other modules' entries stay the desk's own."""

import json

from ecg_module import VITALS, mirror
from PySide6.QtCore import Qt
from test_catalog_edits_gui import _save

from webhook_desk.db.models import EventType
from webhook_desk.platform.sync import keep_token
from webhook_desk.services import catalog


def _event_name(db, code: str) -> str:
    with db.session() as session:
        return catalog.get_event(session, code, "v1").name


def _event_status(db, code: str) -> str:
    with db.session() as session:
        return catalog.get_event(session, code, "v1").status


def _samples(db, code: str) -> list[str]:
    with db.session() as session:
        event = session.query(EventType).filter_by(code=code, version="v1").one()
        return sorted(sample.name for sample in event.samples)


def _connected_events_tab(ecg, window, qtbot, context, token: str):
    mirror(ecg, context.db)
    keep_token(context.store, ecg.url, token)
    tab = window.events_tab
    context.registrations_changed.emit()  # as Connect… does: the tab learns of the module
    qtbot.waitUntil(lambda: tab.catalog_actions.origins == [ecg.url])
    qtbot.waitUntil(lambda: tab.tree.topLevelItemCount() > 0)
    tab.select_event(VITALS)
    return tab, tab.catalog_actions


def test_editing_an_ecg_event_changes_it_on_the_module_first(ecg, window, qtbot, context):
    tab, actions = _connected_events_tab(ecg, window, qtbot, context, ecg.token)

    actions.edit.trigger()
    _save(qtbot, actions.dialog, name="Vitals as the monitor read them")

    qtbot.waitUntil(lambda: not actions.dialog.isVisible())
    assert window.statusBar().currentMessage() == (
        f"Event {VITALS} v1 changed on the ECG module and here."
    )
    assert _event_name(ecg.db, VITALS) == "Vitals as the monitor read them"
    assert _event_name(context.db, VITALS) == "Vitals as the monitor read them"


def test_a_sample_added_to_an_ecg_event_then_deleted_goes_to_the_module_each_time(
    ecg, window, qtbot, context
):
    tab, actions = _connected_events_tab(ecg, window, qtbot, context, ecg.token)
    with context.db.session() as session:
        sample = json.dumps(catalog.sample_payload(catalog.get_event(session, VITALS, "v1")))

    actions.new_sample.trigger()
    _save(qtbot, actions.dialog, name="resting", payload=sample)

    qtbot.waitUntil(lambda: not actions.dialog.isVisible(), timeout=10_000)
    assert "resting" in _samples(ecg.db, VITALS) and "resting" in _samples(context.db, VITALS)
    qtbot.waitUntil(
        lambda: "resting" in [tab.samples.itemText(i) for i in range(tab.samples.count())]
    )
    tab.samples.setCurrentText("resting")
    actions.delete_sample.trigger()
    qtbot.mouseClick(actions.dialog.ok_button, Qt.MouseButton.LeftButton)
    message = "Deleted on the ECG module and here."
    qtbot.waitUntil(lambda: window.statusBar().currentMessage() == message, timeout=10_000)
    assert "resting" not in _samples(ecg.db, VITALS) + _samples(context.db, VITALS)


def test_an_edit_the_module_refuses_changes_neither_catalog(ecg, window, qtbot, context):
    tab, actions = _connected_events_tab(ecg, window, qtbot, context, "not-the-token")
    before = _event_name(ecg.db, VITALS), _event_name(context.db, VITALS)

    actions.edit.trigger()
    dialog = actions.dialog
    _save(qtbot, dialog, name="Vitals, refused")

    qtbot.waitUntil(lambda: "refused the API token" in dialog.problem.text())
    assert dialog.isVisible()
    assert (_event_name(ecg.db, VITALS), _event_name(context.db, VITALS)) == before


def test_deactivating_an_ecg_event_deactivates_it_on_the_module(ecg, window, qtbot, context):
    tab, actions = _connected_events_tab(ecg, window, qtbot, context, ecg.token)

    actions.status["deactivate"].trigger()

    message = f"Event {VITALS}: deactivate done on the ECG module and here."
    qtbot.waitUntil(lambda: window.statusBar().currentMessage() == message)
    assert _event_status(ecg.db, VITALS) == "inactive" == _event_status(context.db, VITALS)
