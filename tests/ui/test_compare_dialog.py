"""A tester compares two deliveries side by side and steps through what is different."""

from __future__ import annotations

import json

from PySide6.QtCore import Qt

from webhook_desk.services import catalog, edit_resend, firing
from webhook_desk.ui.dialogs.compare_dialog import COLOURS, CompareDialog


def _two_deliveries(context) -> tuple[int, int]:
    with context.db.session() as session:
        sample = catalog.sample_payload(catalog.get_event(session, "upload"))
        url = "http://127.0.0.1:9/hooks"
        (first,) = firing.fire(session, "upload", url=url, payload=sample)
        edited = {**sample, "studyId": 4242, "added": "yes"}
        second = edit_resend.resend_edited(session, first.id, json.dumps(edited), validate=False)
        session.commit()
        return first.id, second.id


def _open(qtbot, context, a, b) -> CompareDialog:
    dialog = CompareDialog(context, str(a), str(b))
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.comparison is not None, timeout=5000)
    return dialog


def test_the_changed_field_is_listed_and_highlighted_on_both_sides(qtbot, context):
    a, b = _two_deliveries(context)
    dialog = _open(qtbot, context, a, b)

    listed = [dialog.differences.item(i).text() for i in range(dialog.differences.count())]
    assert listed == ['~ body /studyId: "189" → 4242', '+ body /added: "yes"']
    assert "2 differences" in dialog.status.text()
    line_a = _line_of(dialog, 0, '"studyId": "189"')
    line_b = _line_of(dialog, 1, '"studyId": 4242')
    assert dialog.highlighted_lines(0) == {line_a: COLOURS["changed"]}
    assert dialog.highlighted_lines(1)[line_b] == COLOURS["changed"]
    assert dialog.highlighted_lines(1)[_line_of(dialog, 1, '"added": "yes"')] == COLOURS["added"]


def test_f8_steps_to_the_next_difference_and_moves_the_cursor_there(qtbot, context):
    a, b = _two_deliveries(context)
    dialog = _open(qtbot, context, a, b)
    assert dialog.differences.currentRow() == 0
    qtbot.keyClick(dialog, Qt.Key.Key_F8)
    assert dialog.differences.currentRow() == 1
    assert dialog.panes[1].textCursor().blockNumber() == _line_of(dialog, 1, '"added": "yes"')
    qtbot.keyClick(dialog, Qt.Key.Key_F8, Qt.KeyboardModifier.ShiftModifier)
    assert dialog.differences.currentRow() == 0


def test_an_unknown_reference_is_said_in_the_dialog(qtbot, context):
    dialog = CompareDialog(context, "capture:77", "1")
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: "No capture 77" in dialog.status.text(), timeout=5000)


def _line_of(dialog: CompareDialog, side: int, text: str) -> int:
    lines = dialog.panes[side].toPlainText().split("\n")
    return next(i for i, line in enumerate(lines) if text in line)
