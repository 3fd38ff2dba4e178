"""The lazy History table model, as the History tab drives it: a long history shows its
first page at once, then its full length; any page arrives by key as the view reaches it;
new deliveries slide in on top without losing the user's selection."""

import uuid
from datetime import timedelta

import pytest
from PySide6.QtWidgets import QAbstractItemView, QTableView

from webhook_desk.db.models import Delivery, utcnow
from webhook_desk.history.queries import Filters
from webhook_desk.services import demo
from webhook_desk.ui.jobs import wait_for_jobs
from webhook_desk.ui.models import history_model
from webhook_desk.ui.models.history_model import ID_ROLE, LOADING_TEXT, HistoryModel


@pytest.fixture
def long_history(context):
    with context.db.session() as session:
        demo.load_demo(session, context.store, deliveries=2_500, seed=8)
    return context.db


@pytest.fixture
def view(long_history, qtbot):
    model = HistoryModel(long_history)
    table = QTableView()
    table.setModel(model)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.resize(900, 600)
    qtbot.addWidget(table)
    table.show()
    model.reload()
    qtbot.waitUntil(lambda: not model.loading)
    yield table, model
    wait_for_jobs()


def shown(table, row: int, column: int = 0):
    return table.model().data(table.model().index(row, column))


def test_a_long_history_shows_its_full_length_newest_first(view):
    table, model = view
    assert model.rowCount() == model.total == 2_500
    created = [r["created_at"] for r in model.rows]
    assert len(created) == history_model.PAGE_SIZE
    assert created == sorted(created, reverse=True)


def test_scrolling_to_the_last_row_fetches_only_the_pages_it_shows(view, qtbot, monkeypatch):
    table, model = view
    monkeypatch.setattr(history_model, "CACHED_PAGES", 3)
    table.scrollToBottom()
    last = model.rowCount() - 1
    qtbot.waitUntil(lambda: shown(table, last) != LOADING_TEXT)
    for row in range(0, model.rowCount(), 400):  # walk the whole table a page at a time
        table.scrollTo(model.index(row, 0))
        qtbot.waitUntil(lambda row=row: shown(table, row) != LOADING_TEXT)
    assert len(model._pages) <= 3
    oldest = model.data(model.index(last, 0))
    newest = model.data(model.index(0, 0))
    assert oldest <= newest


def test_a_filter_reloads_from_the_top(view, qtbot):
    table, model = view
    model.reload(Filters(status="failed"))
    qtbot.waitUntil(lambda: not model.loading)
    assert 0 < model.rowCount() < 2_500
    assert {r["status"] for r in model.rows} == {"failed"}


def test_new_deliveries_arrive_on_top_and_the_selection_stays(view, qtbot, long_history):
    table, model = view
    table.selectRow(5)
    chosen = table.selectionModel().selectedRows()[0].data(ID_ROLE)
    counts = []
    model.count_changed.connect(counts.append)
    with long_history.session() as session:
        for n in range(3):
            session.add(
                Delivery(
                    uuid=str(uuid.uuid4()),
                    target_url="https://hooks.example.org/cp",
                    event_code="upload",
                    payload="{}",
                    status="pending",
                    created_at=utcnow() + timedelta(seconds=n + 1),
                )
            )
    model.update()
    qtbot.waitUntil(lambda: model.rowCount() == 2_503)
    assert counts == [2_503]
    [selected] = table.selectionModel().selectedRows()
    assert (selected.row(), selected.data(ID_ROLE)) == (8, chosen)
    qtbot.waitUntil(lambda: shown(table, 0, 2) == "pending")
