"""The History charts follow the tab's filter: outcomes, latency and the worst registrations."""

from webhook_desk.history.queries import Filters
from webhook_desk.services import demo
from webhook_desk.ui.history_charts import HistoryCharts
from webhook_desk.ui.jobs import wait_for_jobs


def test_charts_follow_the_filter(context, qtbot):
    with context.db.session() as session:
        demo.load_demo(session, context.store, deliveries=800, seed=3)
    charts = HistoryCharts(context.db)
    qtbot.addWidget(charts)
    charts.resize(700, 800)
    charts.show()
    charts.follow(Filters())
    qtbot.waitUntil(lambda: not charts.busy)
    assert charts.status.text() == "800 deliveries, by day"
    [stacked] = charts.outcomes_view.chart().series()
    assert [s.label() for s in stacked.barSets()] == ["succeeded", "failed", "pending"]
    assert sum(sum(s.at(i) for i in range(s.count())) for s in stacked.barSets()) == 800
    assert [s.name() for s in charts.latency_view.chart().series()] == ["p50", "p95"]

    charts.follow(Filters(status="failed"))
    qtbot.waitUntil(lambda: not charts.busy)
    succeeded, failed, _ = charts.outcomes_view.chart().series()[0].barSets()
    assert sum(succeeded.at(i) for i in range(succeeded.count())) == 0
    assert sum(failed.at(i) for i in range(failed.count())) > 0
    [worst] = charts.failing_view.chart().series()
    assert worst.barSets()[0].count() == len(charts.data.failing) > 0
    wait_for_jobs()


def test_hidden_charts_wait_until_shown(context, qtbot):
    charts = HistoryCharts(context.db)
    qtbot.addWidget(charts)
    computed = []
    charts.computed.connect(lambda: computed.append(True))
    charts.follow(Filters(status="failed"))
    charts.refresh_soon()
    assert computed == [] and not charts.busy
    charts.show()
    qtbot.waitUntil(lambda: computed == [True])
    assert charts.status.text() == "0 deliveries, by hour"
    wait_for_jobs()


def test_history_tab_filters_by_subject_and_payload_text_and_charts_follow(window, qtbot, context):
    from PySide6.QtCore import Qt

    with context.db.session() as session:
        demo.load_demo(session, context.store, deliveries=600, seed=5)
    tab = window.history_tab
    window.tabs.setCurrentWidget(tab)
    tab.refresh()
    qtbot.waitUntil(lambda: not tab.model.loading and tab.model.rowCount() == 600)
    subject = next(r["subject_id"] for r in tab.model.rows if r["subject_id"])
    qtbot.keyClicks(tab.filters.subject, subject)
    qtbot.keyClicks(tab.filters.text, subject)  # the subject id is in the payload too
    qtbot.mouseClick(tab.filters.apply_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not tab.model.loading and 0 < tab.model.rowCount() < 600)
    assert {r["subject_id"] for r in tab.model.rows} == {subject}
    tab.side.setCurrentWidget(tab.charts)
    qtbot.waitUntil(lambda: not tab.charts.busy and tab.charts.data is not None)
    shown = sum(o.succeeded + o.failed + o.pending for o in tab.charts.data.outcomes)
    assert shown == tab.model.rowCount()
    wait_for_jobs()
