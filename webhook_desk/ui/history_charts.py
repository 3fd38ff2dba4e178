"""The History tab's charts (QtCharts): deliveries over time by outcome, latency p50/p95
over time, and the registrations that fail most, all for the tab's current filter.

How the tab uses it: `HistoryCharts(db)` sits beside the table (a "Charts" page next to
the delivery panel); whenever the filter bar applies filters the tab calls
`follow(filters)`, and when deliveries change it calls `refresh_soon()`. The numbers come
from `history.trends` in a worker thread (a million rows take a few seconds), and only
while the charts are on screen: hidden, they just note that they are out of date.
`computed` is emitted once the charts show new numbers, `failed` with a sentence otherwise.
Nothing here builds a query.
"""

from __future__ import annotations

from PySide6.QtCharts import (
    QBarCategoryAxis,
    QBarSet,
    QChart,
    QChartView,
    QDateTimeAxis,
    QHorizontalBarSeries,
    QLineSeries,
    QStackedBarSeries,
    QValueAxis,
)
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import QLabel, QSplitter, QVBoxLayout, QWidget

from webhook_desk.history import trends
from webhook_desk.history.queries import Filters
from webhook_desk.ui.jobs import run_query
from webhook_desk.vocabulary import DeliveryStatus

ROTATE_LABELS_OVER = 8  # bars; past this, the time axis labels stand upright
NAME_CHARS = 28  # of a registration's name beside its bar; the id keeps them apart
REFRESH_EVERY_MS = 10_000  # a million rows take seconds to chart: not on every delivery
OUTCOME_COLOURS = {
    DeliveryStatus.SUCCEEDED: "#1b7f3b",
    DeliveryStatus.FAILED: "#c62828",
    DeliveryStatus.PENDING: "#b26a00",
}


class HistoryCharts(QWidget):
    computed = Signal()
    failed = Signal(str)

    def __init__(self, db, parent=None):
        super().__init__(parent)
        self.db = db
        self.filters = Filters()
        self.data: trends.Trends | None = None
        self.busy = False
        self._generation = 0
        self._stale = True
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(REFRESH_EVERY_MS)
        self._timer.timeout.connect(self.refresh)
        self.outcomes_view = _chart_view("Deliveries over time by outcome")
        self.latency_view = _chart_view("Latency over time (ms)")
        self.failing_view = _chart_view("Registrations that fail most")
        self.status = QLabel()
        self.status.setIndent(6)
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        for view in (self.outcomes_view, self.latency_view, self.failing_view):
            self.splitter.addWidget(view)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.status)
        layout.addWidget(self.splitter, 1)

    def follow(self, filters: Filters) -> None:
        """Show the charts for `filters` (the History tab's current filter)."""
        self.filters = filters
        self._stale = True
        if self.isVisible():
            self.refresh()

    def refresh_soon(self) -> None:
        """Deliveries changed: recompute at most every REFRESH_EVERY_MS, and only if shown."""
        self._stale = True
        if self.isVisible() and not self._timer.isActive():
            self._timer.start()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self._stale:
            self.refresh()

    def refresh(self) -> None:
        self._stale = False
        self._generation += 1
        generation, filters = self._generation, self.filters
        self.busy = True
        self.status.setText("Computing charts…")
        run_query(
            self.db,
            lambda session: trends.trends(session, filters),
            lambda data: self._show(generation, data),
            self._failed,
        )

    def _failed(self, sentence: str) -> None:
        self.busy = False
        self.status.setText(sentence)
        self.failed.emit(sentence)

    def _show(self, generation: int, data: trends.Trends) -> None:
        if generation != self._generation:
            return  # an older filter's numbers
        self.data = data
        total = sum(o.succeeded + o.failed + o.pending for o in data.outcomes)
        self.status.setText(f"{total:,} deliveries, by {_bucket_name(data)}")
        self._set_charts(generation, [
            (self.outcomes_view, outcomes_chart),
            (self.latency_view, latency_chart),
            (self.failing_view, failing_chart),
        ])  # fmt: skip

    def _set_charts(self, generation: int, left: list) -> None:
        """One chart per turn of the event loop: laying out three at once held the window
        for over 100 ms."""
        if generation != self._generation:
            return  # a newer filter's numbers are on their way
        view, build = left[0]
        view.setChart(build(self.data))
        if left[1:]:
            QTimer.singleShot(0, lambda: self._set_charts(generation, left[1:]))
        else:
            self.busy = False
            self.computed.emit()


def _chart_view(title: str) -> QChartView:
    chart = QChart()
    chart.setTitle(title)
    view = QChartView(chart)
    view.setRenderHint(QPainter.RenderHint.Antialiasing)
    view.setMinimumSize(120, 60)  # the window may be small; the charts shrink with it
    return view


def _bucket_name(data: trends.Trends) -> str:
    return {3600: "hour", 86400: "day"}.get(int(data.bucket.total_seconds()), "week")


def _axis_label(data: trends.Trends, when) -> str:
    """A bucket's name, unique among the buckets (categories with one name would merge)."""
    local = when.astimezone()
    formats = {"hour": "%d %b %H:%M", "day": "%d %b", "week": "%d %b %y"}
    return local.strftime(formats[_bucket_name(data)])


def _fit_labels(axis: QBarCategoryAxis, count: int) -> None:
    """Whole labels, never '…': turned upright when there are more than a few."""
    axis.setTruncateLabels(False)
    if count > ROTATE_LABELS_OVER:
        axis.setLabelsAngle(-90)


def outcomes_chart(data: trends.Trends) -> QChart:
    chart = QChart()
    chart.setTitle("Deliveries over time by outcome")
    series = QStackedBarSeries()
    for outcome, colour in OUTCOME_COLOURS.items():
        bars = QBarSet(outcome)
        bars.setColor(QColor(colour))
        bars.append([getattr(o, outcome) for o in data.outcomes])
        series.append(bars)
    chart.addSeries(series)
    axis_x = QBarCategoryAxis()
    axis_x.append([_axis_label(data, o.start) for o in data.outcomes])
    _fit_labels(axis_x, len(data.outcomes))
    axis_y = QValueAxis()
    axis_y.setLabelFormat("%d")
    _attach(chart, series, axis_x, axis_y)
    return chart


def latency_chart(data: trends.Trends) -> QChart:
    chart = QChart()
    chart.setTitle("Latency over time (ms)")
    axis_x, axis_y = QDateTimeAxis(), QValueAxis()
    axis_x.setFormat("dd MMM HH:mm" if _bucket_name(data) == "hour" else "dd MMM")
    axis_y.setLabelFormat("%d")
    top = 1
    for name, pick in (("p50", lambda p: p.p50), ("p95", lambda p: p.p95)):
        series = QLineSeries()
        series.setName(name)
        for point in data.latency:
            series.append(int(point.start.timestamp() * 1000), pick(point))
            top = max(top, pick(point))
        chart.addSeries(series)
        _attach(chart, series, axis_x, axis_y)
    axis_y.setRange(0, top * 1.1)
    return chart


def failing_label(failing: trends.FailingRegistration) -> str:
    """'#12 Cardio trial ingest (35%)': the id keeps two registrations of one name apart."""
    name = failing.name if len(failing.name) <= NAME_CHARS else failing.name[: NAME_CHARS - 1] + "…"
    share = f"{failing.failed / failing.total:.0%}"
    if failing.registration_id is None:
        return f"{name} ({share})"
    return f"#{failing.registration_id} {name} ({share})"


def failing_chart(data: trends.Trends) -> QChart:
    chart = QChart()
    chart.setTitle("Registrations that fail most")
    series = QHorizontalBarSeries()
    bars = QBarSet("failed")
    bars.setColor(QColor(OUTCOME_COLOURS[DeliveryStatus.FAILED]))
    worst_last = list(reversed(data.failing))  # Qt draws the first category at the bottom
    bars.append([f.failed for f in worst_last])
    series.append(bars)
    series.setLabelsVisible(True)  # the count on each bar: no reading it off the axis
    series.setLabelsFormat("@value")
    chart.addSeries(series)
    axis_y = QBarCategoryAxis()
    axis_y.append([failing_label(f) for f in worst_last])
    axis_y.setTruncateLabels(False)
    axis_x = QValueAxis()
    axis_x.setLabelFormat("%d")
    axis_x.setRange(0, max([f.failed for f in worst_last], default=1) * 1.15)
    chart.addAxis(axis_y, Qt.AlignmentFlag.AlignLeft)
    chart.addAxis(axis_x, Qt.AlignmentFlag.AlignBottom)
    series.attachAxis(axis_y)
    series.attachAxis(axis_x)
    chart.legend().hide()
    return chart


def _attach(chart: QChart, series, axis_x, axis_y) -> None:
    if axis_x not in chart.axes():
        chart.addAxis(axis_x, Qt.AlignmentFlag.AlignBottom)
        chart.addAxis(axis_y, Qt.AlignmentFlag.AlignLeft)
    series.attachAxis(axis_x)
    series.attachAxis(axis_y)
