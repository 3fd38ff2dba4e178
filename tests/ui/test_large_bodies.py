"""A delivery with a very large body opens at once: the viewer shows its start and says so."""

import json

from webhook_desk.ui.formatting import SHOWN_BODY_CHARS, pretty_body
from webhook_desk.ui.widgets.json_editor import JsonEditor


def _big_body() -> str:
    items = [{"id": i, "name": f"subject {i}", "values": [1.5, 2, 3]} for i in range(20000)]
    return json.dumps({"items": items})


def test_a_large_body_is_cut_with_a_note_and_small_ones_are_whole(qtbot):
    body = _big_body()
    shown = pretty_body(body)
    assert len(shown) < SHOWN_BODY_CHARS + 200
    assert shown.startswith('{\n  "items": [')
    assert "more characters not shown" in shown and f"{len(body):,} in the body" in shown
    assert pretty_body('{"a": 1}') == '{\n  "a": 1\n}'


def test_the_viewer_holds_only_the_start_of_a_large_body(qtbot, qapp):
    """The whole 1.4 MB body froze the window for about 2 s while it was highlighted."""
    viewer = JsonEditor(read_only=True)
    qtbot.addWidget(viewer)
    viewer.show()
    viewer.setPlainText(pretty_body(_big_body()))
    qapp.processEvents()
    assert len(viewer.toPlainText()) < SHOWN_BODY_CHARS + 200
    assert "more characters not shown" in viewer.toPlainText()
