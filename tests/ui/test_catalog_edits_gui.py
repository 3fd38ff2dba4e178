"""The Events tab's catalog edits, as a study coordinator makes them: a new category, an event
with its JSON Schema, a sample the schema refuses then accepts, and a confirmed delete."""

import json

from PySide6.QtCore import Qt


def _tree(tab) -> dict[str, list[str]]:
    tree = tab.tree
    out = {}
    for i in range(tree.topLevelItemCount()):
        parent = tree.topLevelItem(i)
        out[parent.text(0).split("  ·")[0]] = [
            f"{parent.child(j).text(0)} {parent.child(j).text(1)}"
            for j in range(parent.childCount())
        ]
    return out


def _save(qtbot, dialog, **texts) -> None:
    for name, text in texts.items():
        widget = dialog.fields[name]
        widget.clear()
        if hasattr(widget, "setPlainText"):
            widget.setPlainText(text)
        else:
            qtbot.keyClicks(widget, text)
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)


def test_a_coordinator_adds_a_category_event_and_sample_then_deletes_the_event(window, qtbot):
    tab = window.events_tab
    qtbot.waitUntil(lambda: tab.tree.topLevelItemCount() > 0)
    actions = tab.catalog_actions
    actions.new_category.trigger()
    _save(qtbot, actions.dialog, code="glucose", name="Glucose")
    qtbot.waitUntil(lambda: "Glucose" in _tree(tab))
    tab.tree.setCurrentItem(
        next(tab.tree.topLevelItem(i) for i in range(tab.tree.topLevelItemCount())
             if tab.tree.topLevelItem(i).text(0).startswith("Glucose"))
    )  # fmt: skip
    actions.new_event.trigger()
    assert actions.dialog.fields["category"].currentText() == "glucose"
    schema = {"type": "object", "required": ["mgdl"], "properties": {"mgdl": {"type": "integer"}}}
    _save(qtbot, actions.dialog, code="glucose.reading", name="Reading",
          json_schema=json.dumps(schema))  # fmt: skip
    qtbot.waitUntil(lambda: _tree(tab).get("Glucose") == ["glucose.reading v1"])
    tab.select_event("glucose.reading")
    actions.new_sample.trigger()
    dialog = actions.dialog
    _save(qtbot, dialog, name="high", payload='{"mgdl": "high"}')
    qtbot.waitUntil(lambda: "mgdl" in dialog.problem.text())
    assert dialog.isVisible()
    _save(qtbot, dialog, payload='{"mgdl": 240}')
    qtbot.waitUntil(lambda: not dialog.isVisible())
    # The catalog is read again and the event stays selected, now with its sample.
    qtbot.waitUntil(lambda: tab.samples.count() == 1 and tab.samples.itemText(0) == "high")
    assert tab.current_event().code == "glucose.reading"
    actions.delete.trigger()
    qtbot.mouseClick(actions.dialog.ok_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: _tree(tab).get("Glucose") == [])
