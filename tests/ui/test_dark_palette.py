"""On a dark desktop theme the coloured text (JSON, statuses, errors) stays readable."""

import pytest
from PySide6.QtGui import QColor, QGuiApplication, QPalette

from webhook_desk.ui.colours import COLOURS, dark_palette
from webhook_desk.ui.models.registrations_model import RegistrationsModel
from webhook_desk.ui.widgets.json_editor import JsonEditor

WCAG_AA = 4.5  # contrast a reader needs for normal text


def luminance(colour: QColor) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    return (
        0.2126 * channel(colour.red())
        + 0.7152 * channel(colour.green())
        + 0.0722 * channel(colour.blue())
    )


def contrast(a: QColor, b: QColor) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


@pytest.fixture(params=["light", "dark"])
def palette(request, qapp):
    before = QGuiApplication.palette()
    if request.param == "dark":
        qapp.setPalette(dark_palette())
    else:
        qapp.setPalette(QPalette(QColor("#efefef")))
    yield QGuiApplication.palette()
    qapp.setPalette(before)


def test_json_keys_strings_and_numbers_are_readable(palette, qtbot):
    editor = JsonEditor(read_only=True)
    qtbot.addWidget(editor)
    editor.setPlainText('{"subjectId": "S-1", "count": 3, "ok": true}')
    background = palette.color(QPalette.ColorRole.Base)
    for _expression, fmt in editor.highlighter.rules:
        assert contrast(fmt.foreground().color(), background) >= WCAG_AA


def test_status_colours_in_the_registrations_table_are_readable(palette):
    model = RegistrationsModel()
    row = {
        "id": 1,
        "name": "Lab",
        "study_id": "1",
        "organization_id": None,
        "status": "enabled",
        "validation_state": "failed",
        "validation_error": None,
        "auth_type": "none",
        "last_delivery_at": None,
        "last_delivery_status": "succeeded",
        "failure_streak": 0,
        "url": "https://x.org/",
        "events": ["upload"],
    }
    model.set_rows([row])
    background = palette.color(QPalette.ColorRole.Base)
    from PySide6.QtCore import Qt

    for column in (2, 3, 4):
        brush = model.index(0, column).data(Qt.ItemDataRole.ForegroundRole)
        assert contrast(brush.color(), background) >= WCAG_AA, model.headerData(
            column, Qt.Orientation.Horizontal
        )


def test_every_meaning_colour_is_readable_on_its_background():
    for name, (light, dark) in COLOURS.items():
        assert contrast(QColor(light), QColor("#ffffff")) >= WCAG_AA, name
        assert contrast(QColor(dark), QColor("#1e1f22")) >= WCAG_AA, name


def test_json_colours_follow_a_switch_to_a_dark_theme(qapp, qtbot):
    before = QGuiApplication.palette()
    editor = JsonEditor(read_only=True)
    qtbot.addWidget(editor)
    editor.setPlainText('{"subjectId": "S-1"}')
    try:
        qapp.setPalette(dark_palette())
        qtbot.waitUntil(
            lambda: all(
                contrast(fmt.foreground().color(), QColor("#1e1f22")) >= WCAG_AA
                for _expression, fmt in editor.highlighter.rules
            )
        )
    finally:
        qapp.setPalette(before)
