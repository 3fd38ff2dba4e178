"""The analyst's state: filters, splitters and export choices survive a restart; a typed filter
says it is not applied yet; a day is picked from a calendar and means that whole day; history
is imported from the File menu; the export dialog offers Close once it is done."""

from datetime import timedelta
from pathlib import Path

from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import QTableView

from webhook_desk.services import demo
from webhook_desk.ui.history_filters import PENDING_TEXT
from webhook_desk.ui.jobs import wait_for_jobs

FIXTURES = Path(__file__).parent.parent / "fixtures"


def load_demo(context, deliveries: int):
    with context.db.session() as session:
        demo.load_demo(session, context.store, deliveries=deliveries, seed=4)


def reopen(window, context, settings, qtbot):
    from webhook_desk.ui.main_window import MainWindow

    window.close()  # saves the layout, as quitting does
    wait_for_jobs()
    again = MainWindow(context, settings)
    qtbot.addWidget(again)
    again.show()
    return again


def test_filters_splitters_and_side_page_survive_a_restart(
    show_history, window, qtbot, context, settings
):
    load_demo(context, 120)
    tab = show_history()
    qtbot.keyClicks(tab.filters.study, "1064")
    qtbot.keyClick(tab.filters.study, Qt.Key.Key_Return)
    tab.filters.status.setFocus()
    qtbot.keyClick(tab.filters.status, Qt.Key.Key_Down)  # a list applies at once
    qtbot.waitUntil(lambda: tab.model.filters.status == "succeeded")
    tab.splitter.setSizes([500, 780])
    share = tab.splitter.sizes()[0] / sum(tab.splitter.sizes())
    tab.side.setCurrentWidget(tab.charts)

    again = reopen(window, context, settings, qtbot)
    tab = again.history_tab
    qtbot.waitUntil(lambda: not tab.model.loading)
    assert tab.filters.study.text() == "1064"
    assert tab.filters.status.currentData() == "succeeded"
    assert (tab.model.filters.study, tab.model.filters.status) == ("1064", "succeeded")
    assert {(r["study_id"], r["status"]) for r in tab.model.rows} == {("1064", "succeeded")}
    assert abs(tab.splitter.sizes()[0] / sum(tab.splitter.sizes()) - share) < 0.01
    assert tab.side.currentWidget() is tab.charts
    again.shutdown()


def test_a_typed_filter_says_it_is_not_applied_until_enter(show_history, window, qtbot, context):
    load_demo(context, 60)
    tab = show_history()
    qtbot.keyClicks(tab.filters.study, "8")
    assert tab.filters.pending.text() == PENDING_TEXT
    assert tab.model.filters.study is None  # the table still shows every study
    qtbot.keyClick(tab.filters.study, Qt.Key.Key_Return)
    assert tab.filters.pending.text() == ""
    qtbot.waitUntil(lambda: not tab.model.loading)
    assert tab.model.filters.study == "8"
    qtbot.keyClick(tab.filters.study, Qt.Key.Key_Backspace)
    assert tab.filters.pending.text() == PENDING_TEXT  # "" is not the applied "8"
    qtbot.keyClicks(tab.filters.study, "8")
    assert tab.filters.pending.text() == ""  # as applied again


def pick_day(qtbot, field, day) -> None:
    """Open the calendar beside the field, move to `day`, press Enter."""
    qtbot.mouseClick(field.button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(field.calendar.isVisible)
    field.calendar.setSelectedDate(QDate(day.year, day.month, day.day))
    qtbot.keyClick(field.calendar.findChild(QTableView), Qt.Key.Key_Return)


def test_a_day_picked_in_the_calendar_filters_to_the_end_of_that_day(
    show_history, window, qtbot, context
):
    load_demo(context, 300)
    tab = show_history()
    newest = tab.model.rows[0]
    day = newest["created_at"].astimezone().date()
    field = tab.filters.until_field
    pick_day(qtbot, field, day)
    assert tab.filters.until.text() == day.isoformat()
    assert not field.calendar.isVisible()
    qtbot.waitUntil(lambda: not tab.model.loading and tab.model.filters.until is not None)
    assert tab.model.rows[0]["id"] == newest["id"]  # made on that day: "until" includes it
    assert tab.model.rowCount() == 300

    pick_day(qtbot, field, day - timedelta(days=1))
    qtbot.waitUntil(lambda: not tab.model.loading and tab.model.rowCount() < 300)
    assert all(r["created_at"].astimezone().date() < day for r in tab.model.rows)


def test_export_says_close_when_done_and_remembers_format_and_folder(
    show_history, window, qtbot, context, tmp_path
):
    load_demo(context, 30)
    tab = show_history()
    tab.export_action.trigger()
    dialog = tab.export_dialog
    assert dialog.close_button.text() == "Close"
    dialog.format.setCurrentIndex(dialog.format.findData("xlsx"))
    dialog.path.setText(str(tmp_path / "out.xlsx"))
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.message.text().startswith("Exported"), timeout=10_000)
    assert dialog.close_button.text() == "Close"
    qtbot.mouseClick(dialog.close_button, Qt.MouseButton.LeftButton)
    assert not dialog.isVisible()

    tab.export_action.trigger()
    again = tab.export_dialog
    assert again.format.currentData() == "xlsx"
    assert Path(again.path.text()).parent == tmp_path
    assert again.path.text().endswith(".xlsx")
    again.close()


def test_history_is_imported_from_the_file_menu(show_history, window, qtbot, context, tmp_path):
    tab = show_history()
    window.import_action.trigger()
    dialog = window.import_dialog
    bad = tmp_path / "notes.json"
    bad.write_text('{"hello": "world"}')
    qtbot.keyClicks(dialog.path, str(bad))
    qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.running)
    assert dialog.message.text().startswith("notes.json")  # the importer's own sentence
    assert "is not CentrePoint history" in dialog.message.text()

    seed = FIXTURES / "centrepoint_v3_history_seed001.json"
    dialog.path.setText(str(seed))
    qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.running)
    assert dialog.message.text() == (
        f"Imported 1 delivery with 2 attempts from {seed} (CentrePoint v3 history); "
        "0 attempts already present."
    )
    qtbot.waitUntil(lambda: tab.count_label.text() == "1 matching deliveries")
    assert tab.model.rows[0]["study_id"] == "8"


def test_a_remembered_registration_that_is_gone_is_not_silently_kept(qtbot, context, settings):
    from webhook_desk.ui.main_window import MainWindow

    load_demo(context, 40)
    settings.setValue("history/filters/registration", "999")  # deleted since
    window = MainWindow(context, settings)
    qtbot.addWidget(window)
    window.show()
    tab = window.history_tab
    qtbot.waitUntil(lambda: tab.filters.registration.count() > 1)  # the list arrived
    qtbot.waitUntil(lambda: not tab.model.loading)
    assert tab.filters.registration.currentData() is None  # "any registration"
    assert tab.model.filters.registration_id is None  # and the table agrees
    assert tab.model.rowCount() == 40
    window.shutdown()
