"""A deferred start (the app's): the window paints its Registrations tab with data first, and
the Events, History and Receiver tabs, the engine and the receiver, built after that, work as
after a full start, also when the first paint read its rows before the database was opened."""

from PySide6.QtCore import Qt

from webhook_desk.services import demo, registration_list
from webhook_desk.services.registration_rows import cached_tab_rows
from webhook_desk.ui.app import finish_start
from webhook_desk.ui.context import AppContext
from webhook_desk.ui.main_window import MainWindow


def click_tab(window, qtbot, index: int) -> None:
    bar = window.tabs.tabBar()
    qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.tabRect(index).center())


def test_the_other_tabs_work_after_a_deferred_start(context, settings, qtbot):
    with context.db.session() as session:
        demo.load_demo(session, context.store, deliveries=40)
    window = MainWindow(context, settings, deferred=True)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.registrations_tab.model.rowCount() == 5)
    titles = [window.tabs.tabText(i) for i in range(window.tabs.count())]
    assert titles == ["Registrations", "Events", "History", "Receiver"]
    assert context.engine is None and context.receiver is None  # not before the first paint

    window.start_services()
    try:
        qtbot.waitUntil(lambda: context.engine.state == "running")
        menus = [action.text() for action in window.menuBar().actions()]
        assert menus == [
            "&File", "&View", "Re&gistration", "&Event", "&Delivery", "&Receiver", "&Help"
        ]  # fmt: skip

        click_tab(window, qtbot, 1)
        assert window.tabs.currentWidget() is window.events_tab
        qtbot.waitUntil(lambda: window.events_tab.tree.topLevelItemCount() > 0)

        click_tab(window, qtbot, 2)
        assert window.tabs.currentWidget() is window.history_tab
        qtbot.waitUntil(lambda: window.history_tab.model.rowCount() >= 40)

        click_tab(window, qtbot, 3)
        receiver_tab = window.receiver_tab
        assert window.tabs.currentWidget() is receiver_tab
        receiver_tab.port.setValue(0)  # any free port
        qtbot.mouseClick(receiver_tab.start_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: context.receiver.is_running)
        assert receiver_tab.url.text() == context.receiver.url
    finally:
        window.shutdown()


def test_a_start_with_its_rows_read_ahead_paints_them_then_opens_the_database(
    context, settings, qtbot
):
    with context.db.session() as session:
        demo.load_demo(session, context.store, deliveries=40)
        usual = registration_list.tab_rows(session)  # a previous start: statements kept
    rows = cached_tab_rows(context.db.url)
    assert rows == usual and len(rows) == 5
    later = AppContext(url=context.db.url, store=context.store)
    window = MainWindow(later, settings, deferred=True, first_rows=rows)
    qtbot.addWidget(window)
    window.show()
    assert window.registrations_tab.model.rowCount() == 5
    assert not later.is_open  # painted before the database was opened

    finished = []
    finish_start(window, lambda: finished.append(True))
    try:
        qtbot.waitUntil(lambda: bool(finished), timeout=30_000)
        assert later.is_open and later.engine.state == "running"
        click_tab(window, qtbot, 2)
        qtbot.waitUntil(lambda: window.history_tab.model.rowCount() >= 40)
        window.registrations_tab.select(rows[0]["id"])
        assert window.registrations_tab.detail.row["name"] == rows[0]["name"]
    finally:
        window.shutdown()
        later.db.dispose()
