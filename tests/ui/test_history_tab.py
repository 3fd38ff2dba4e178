"""The History tab, as an analyst uses it: filter, scroll a long history, read a delivery."""

from PySide6.QtCore import Qt

from webhook_desk.services import demo


def load_demo(context, deliveries: int):
    with context.db.session() as session:
        return demo.load_demo(session, context.store, deliveries=deliveries)


def test_long_history_has_its_full_length_and_pages_arrive_as_you_scroll(
    show_history, window, qtbot, context
):
    load_demo(context, 1000)
    tab = show_history()
    assert tab.model.rowCount() == 1000  # the full length at once; pages come as reached
    assert tab.count_label.text() == "1,000 matching deliveries"
    tab.table.scrollToBottom()
    qtbot.waitUntil(lambda: tab.model.data(tab.model.index(999, 0)) != "…")
    created = [r["created_at"] for r in tab.model.rows]
    assert created == sorted(created, reverse=True)


def test_status_filter_shows_only_failed_deliveries(show_history, window, qtbot, context):
    load_demo(context, 300)
    tab = show_history()
    tab.filters.status.setCurrentIndex(tab.filters.status.findData("failed"))
    qtbot.mouseClick(tab.filters.apply_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not tab.model.loading)
    statuses = {r["status"] for r in tab.model.rows}
    assert statuses == {"failed"}


def test_response_code_filter_is_typed_as_the_platform_writes_it(
    show_history, window, qtbot, context
):
    load_demo(context, 300)
    tab = show_history()
    qtbot.keyClicks(tab.filters.include_codes, "5xx")
    qtbot.keyClick(tab.filters.include_codes, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not tab.model.loading and tab.model.rowCount() > 0)
    assert all(500 <= r["response_code"] <= 599 for r in tab.model.rows)


def test_bad_filter_says_what_is_wrong_and_keeps_the_table(show_history, window, qtbot, context):
    load_demo(context, 50)
    tab = show_history()
    qtbot.keyClicks(tab.filters.include_codes, "2x")
    qtbot.mouseClick(tab.filters.apply_button, Qt.MouseButton.LeftButton)
    assert tab.filters.error.text() == "'2x' is not a response code; write e.g. 404 or 2xx."
    assert tab.model.rowCount() == 50
    tab.filters.include_codes.clear()
    qtbot.keyClicks(tab.filters.since, "yesterday")
    qtbot.mouseClick(tab.filters.apply_button, Qt.MouseButton.LeftButton)
    assert (
        tab.filters.error.text() == "Since 'yesterday' is not a date or time like 2024-05-01T12:00."
    )


def test_selected_delivery_shows_its_attempt_chain(show_history, window, qtbot, context):
    load_demo(context, 200)
    tab = show_history()
    row = next(i for i, r in enumerate(tab.model.rows) if r["attempts"] >= 2)
    tab.table.selectRow(row)
    record = tab.model.rows[row]
    qtbot.waitUntil(lambda: tab.panel.attempts.count() == record["attempts"])
    lines = [tab.panel.attempts.item(i).text() for i in range(tab.panel.attempts.count())]
    assert [line.split()[0] for line in lines] == [f"#{n}" for n in range(1, len(lines) + 1)]
    assert record["delivery_id"] in tab.panel.summary.text()
    assert "[redacted]" not in tab.panel.request_body.toPlainText()


def test_export_writes_what_the_filters_select(show_history, window, qtbot, context, tmp_path):
    import csv

    load_demo(context, 300)
    tab = show_history()
    tab.filters.status.setCurrentIndex(tab.filters.status.findData("failed"))
    qtbot.mouseClick(tab.filters.apply_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not tab.model.loading)
    failed = tab.model.rowCount()
    tab.export_action.trigger()
    dialog = tab.export_dialog
    target = tmp_path / "failed.csv"
    dialog.path.setText(str(target))
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.message.text().startswith("Exported"), timeout=10_000)
    assert dialog.message.text() == f"Exported {failed:,} rows to {target}."
    with target.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == failed
    assert {r["status"] for r in rows} == {"failed"}


def test_export_to_an_unwritable_place_says_so(show_history, window, qtbot, context, tmp_path):
    load_demo(context, 20)
    tab = show_history()
    tab.export_action.trigger()
    dialog = tab.export_dialog
    dialog.path.setText(str(tmp_path / "missing-folder" / "x.csv"))
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.running)
    assert "missing-folder" in dialog.message.text()
    assert not (tmp_path / "missing-folder").exists()


def test_new_deliveries_appear_on_top_keeping_the_selection(show_history, window, qtbot, context):
    from webhook_desk.services import firing

    load_demo(context, 300)
    tab = show_history()
    tab.table.selectRow(5)
    chosen = tab.model.rows[5]["id"]
    with context.db.session() as session:
        firing.fire(session, "upload", url="http://127.0.0.1:9/", count=3)
    context.deliveries_changed.emit()
    qtbot.waitUntil(lambda: tab.count_label.text() == "303 matching deliveries")
    assert [r["status"] for r in tab.model.rows[:3]] == ["pending"] * 3
    assert tab.selected_id() == chosen
