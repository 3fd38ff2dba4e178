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


def add_history(context, study: str, name: str, failed: int, succeeded: int) -> int:
    """A registration of `name` in `study` and its deliveries; returns its id."""
    import uuid
    from datetime import UTC, datetime, timedelta

    from webhook_desk.db.models import Delivery
    from webhook_desk.services import registrations
    from webhook_desk.services.registrations import RegistrationInput

    data = RegistrationInput(
        url="http://127.0.0.1:9/hook", study_id=study, name=name, events=["upload"],
        auth_type="none", is_development=True,
    )  # fmt: skip
    start = datetime(2026, 11, 20, 9, tzinfo=UTC)
    with context.db.session() as session:
        reg, _ = registrations.add(session, context.store, data)
        session.flush()
        for n, status in enumerate(["failed"] * failed + ["succeeded"] * succeeded):
            session.add(
                Delivery(
                    uuid=str(uuid.uuid4()), registration_id=reg.id, target_url=data.url,
                    event_code="upload", payload="{}", study_id=study, status=status,
                    response_code=500 if status == "failed" else 200,
                    created_at=start + timedelta(hours=n),
                )
            )  # fmt: skip
        return reg.id


def test_failing_bars_are_per_registration_and_match_the_cli_counts(context, qtbot, cli):
    """Two registrations of one name get a bar each, labelled apart, each as long as
    `history --json` counts for the same filter."""
    first = add_history(context, "8", "Cardio trial ingest", failed=7, succeeded=3)
    second = add_history(context, "8", "Cardio trial ingest", failed=7, succeeded=3)
    third = add_history(context, "8", "A registration with a rather long name indeed", 3, 1)
    add_history(context, "189", "Sleep lab", failed=40, succeeded=0)  # another study
    charts = HistoryCharts(context.db)
    qtbot.addWidget(charts)
    charts.resize(600, 800)
    charts.show()
    charts.follow(Filters(study="8"))
    qtbot.waitUntil(lambda: not charts.busy and charts.data is not None)

    [series] = charts.failing_view.chart().series()
    [axis] = [a for a in charts.failing_view.chart().axes() if hasattr(a, "categories")]
    [bars] = series.barSets()
    values = [bars.at(i) for i in range(bars.count())]
    shown = dict(zip(axis.categories(), values, strict=True))
    result = cli("history", "--study", "8", "--status", "failed", "--json", db=context.db.url)
    by_registration = {}
    for row in result.json():
        by_registration[row["registration_id"]] = by_registration.get(row["registration_id"], 0) + 1
    assert shown == {
        f"#{third} A registration with a rathe… (75%)": by_registration[third],
        f"#{second} Cardio trial ingest (70%)": by_registration[second],
        f"#{first} Cardio trial ingest (70%)": by_registration[first],
    }
    assert by_registration == {first: 7, second: 7, third: 3}
    assert not axis.truncateLabels()
    wait_for_jobs()


def test_outcome_bars_match_the_cli_counts_and_their_labels_stand_whole(context, qtbot, cli):
    add_history(context, "8", "Cardio trial ingest", failed=30, succeeded=20)  # 50 hours
    charts = HistoryCharts(context.db)
    qtbot.addWidget(charts)
    charts.resize(500, 700)
    charts.show()
    charts.follow(Filters(study="8"))
    qtbot.waitUntil(lambda: not charts.busy and charts.data is not None)
    [stacked] = charts.outcomes_view.chart().series()
    totals = {s.label(): sum(s.at(i) for i in range(s.count())) for s in stacked.barSets()}
    for status in ("succeeded", "failed", "pending"):
        listed = cli("history", "--study", "8", "--status", status, "--json", db=context.db.url)
        assert totals[status] == len(listed.json())
    [axis] = [a for a in charts.outcomes_view.chart().axes() if hasattr(a, "categories")]
    assert len(set(axis.categories())) == len(axis.categories()) == 50  # hours, none merged
    assert not axis.truncateLabels() and axis.labelsAngle() == -90
    wait_for_jobs()
