"""The History tab: filter the deliveries, read one in full, resend one or all that match."""

from __future__ import annotations

from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QLabel,
    QSplitter,
    QTabWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from webhook_desk.services import catalog, delivery_detail, identifying, registrations, resend
from webhook_desk.ui import hosted_actions
from webhook_desk.ui.context import AppContext
from webhook_desk.ui.delivery_panel import DeliveryPanel
from webhook_desk.ui.dialogs.compare_dialog import CompareDialog, ask_and_compare
from webhook_desk.ui.dialogs.edit_resend_dialog import open_edit_resend
from webhook_desk.ui.dialogs.export_dialog import open_export_dialog
from webhook_desk.ui.dialogs.message import show_error
from webhook_desk.ui.dialogs.outcome_dialog import OutcomeDialog
from webhook_desk.ui.dialogs.resend_all_dialog import ResendAllDialog
from webhook_desk.ui.history_charts import HistoryCharts
from webhook_desk.ui.history_filters import HistoryFilters
from webhook_desk.ui.history_sorting import HeaderSort
from webhook_desk.ui.icons import icon
from webhook_desk.ui.jobs import run_job, run_query
from webhook_desk.ui.models.history_model import COLUMNS, ID_ROLE, TITLES, HistoryModel
from webhook_desk.ui.widgets.record_table import record_table

WIDTHS = {  # the last column (Error) takes what is left
    "Created": 140,
    "Event": 160,
    "Status": 76,
    "Code": 52,
    "Subject": 80,
    "Attempts": 72,
    "Last sent": 140,
    "Next try": 140,
    "Study": 60,
    "Registration": 96,
    "Target": 260,
    "Delivery id": 270,
}
COLUMN_WIDTHS = {TITLES.index(title): width for title, width in WIDTHS.items()}
RESEND_TIP = "Send the selected delivery again, as it was"
EDIT_RESEND_TIP = "Change the selected delivery's payload or headers, then send it"


def load_choices(session) -> tuple[list[tuple[int, str]], list[str]]:
    regs = [(r.id, r.name) for r in registrations.list_all(session, include_archived=True)]
    events = sorted({e.code for e in catalog.list_events(session)})
    return regs, events


class HistoryTab(QWidget):
    def __init__(self, context: AppContext, parent=None):
        super().__init__(parent)
        self.context = context
        self.model = HistoryModel(context.db, self)
        self.model.loaded.connect(self._loaded)
        self.model.refreshed.connect(self._follow_delivery)
        self.model.located.connect(self._reselect)
        self.model.failed.connect(self.context.say)
        self.filters = HistoryFilters()
        self.filters.applied.connect(self.model.reload)
        self.table = record_table(self.model, COLUMN_WIDTHS)
        self.table.verticalHeader().setDefaultSectionSize(24)
        # Ctrl+click a second delivery to compare the two.
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.sorting = HeaderSort(self.table, self.model, self._shown_id)
        self.count_label = QLabel()
        self.panel = DeliveryPanel()
        self.charts = HistoryCharts(context.db)  # computes only while its page is shown
        self.filters.applied.connect(self.charts.follow)
        self.side = QTabWidget()
        self.side.setTabPosition(QTabWidget.TabPosition.West)  # costs width, not height
        self.side.addTab(self.panel, "Delivery")
        self.side.addTab(self.charts, "Charts")
        self._build_actions()
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.table)
        left_layout.addWidget(self.count_label)
        self.splitter = QSplitter()
        self.splitter.addWidget(left)
        self.splitter.addWidget(self.side)
        self.splitter.setSizes([800, 480])
        layout = QVBoxLayout(self)
        layout.addWidget(self.toolbar)
        layout.addWidget(self.filters)
        layout.addWidget(self.splitter, 1)
        self.settings: QSettings | None = None  # given by restore_state
        self._stale = False
        self.edit_resend_dialog = None
        context.deliveries_changed.connect(self.deliveries_changed)
        context.registrations_changed.connect(self.load_choices)
        context.masking_changed.connect(self._masking_changed)
        self.panel.reveal_requested.connect(self.reveal_identifiers)
        self._masking_changed()
        self.load_choices()
        self.model.reload()

    def _build_actions(self) -> None:
        self.toolbar = QToolBar()
        self.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.refresh_action = QAction(icon("refresh"), "Refresh", self)
        self.refresh_action.triggered.connect(self.refresh)
        self.resend_action = QAction(icon("resend"), "Resend", self)
        self.resend_action.setToolTip(RESEND_TIP)
        self.resend_action.setShortcut(QKeySequence("Ctrl+Shift+R"))
        self.resend_action.triggered.connect(self.resend_selected)
        self.resend_all_action = QAction(icon("resend"), "Resend all matching…", self)
        self.resend_all_action.triggered.connect(self.resend_all_matching)
        self.edit_resend_action = QAction(icon("resend"), "Edit and resend…", self)
        self.edit_resend_action.setToolTip(EDIT_RESEND_TIP)
        self.edit_resend_action.setShortcut(QKeySequence("Ctrl+E"))
        self.edit_resend_action.triggered.connect(self.edit_and_resend)
        self.compare_action = QAction("Compare", self)
        self.compare_action.setShortcut(QKeySequence("Ctrl+D"))
        self.compare_action.setToolTip(
            "Compare the two selected deliveries (Ctrl+click the second)"
        )
        self.compare_action.triggered.connect(self.compare_selected)
        self.compare_with_action = QAction("Compare with…", self)
        self.compare_with_action.setToolTip("Compare the selected delivery with any request")
        self.compare_with_action.triggered.connect(self.compare_with)
        self.export_action = QAction(icon("export"), "Export…", self)
        self.export_action.triggered.connect(self.export)
        self.outcome_action = QAction("Record outcome…", self)
        self.outcome_action.setToolTip("Record what happened to the selected delivery")
        self.outcome_action.triggered.connect(self.record_outcome)
        for action in (
            self.refresh_action,
            self.resend_action,
            self.edit_resend_action,
            self.compare_action,
            self.compare_with_action,
            self.resend_all_action,
            self.outcome_action,
            self.export_action,
        ):
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            self.toolbar.addAction(action)
            self.addAction(action)
        self.resend_action.setEnabled(False)
        self.edit_resend_action.setEnabled(False)
        self.compare_action.setEnabled(False)
        self.compare_with_action.setEnabled(False)
        self.outcome_action.setEnabled(False)

    # --- reading ------------------------------------------------------------------------

    def load_choices(self) -> None:
        run_query(
            self.context.db,
            load_choices,
            lambda choices: self.filters.set_choices(*choices),
            self.context.say,
        )

    def refresh(self) -> None:
        self._stale = False
        self.model.reload()

    def deliveries_changed(self) -> None:
        """New or changed deliveries: the model inserts them on top (sorted otherwise, it
        reads the rows in view again in place), keeping the selected delivery and the scroll
        position; a hidden tab catches up when it is shown."""
        if self.isVisible():
            self.model.update()
            self.charts.refresh_soon()
        else:
            self._stale = True

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self._stale:
            self.refresh()

    def _count_text(self) -> str:
        total = self.model.total
        if total is None:
            return f"{self.model.rowCount():,} deliveries shown (counting…)"
        return f"{total:,} matching deliveries"

    def _loaded(self) -> None:
        self.count_label.setText(self._count_text())

    def _follow_delivery(self) -> None:
        """The rows were read again: the panel reads its delivery again too (a new attempt,
        a new status). A reload drops the selection: the delivery is selected again if it is
        still listed, else the panel empties."""
        if self.model.locating:
            return  # a re-sort is finding it: _reselect
        record, selected = self.panel.record, self.selected_id()
        if record is not None and selected != record["id"] and len(self.selected_ids()) < 2:
            row = self.model.row_of(record["id"])
            if row is not None:
                self.table.selectRow(row)  # selectionChanged loads it
                return
            if selected is not None:  # sorted, it moved out of the rows in hand: find it
                self.model.reload(keep=record["id"])
                return
        self._selection_changed()

    def _shown_id(self) -> int | None:
        return self.panel.record["id"] if self.panel.record else None

    def _reselect(self, row: int) -> None:
        """A reload found the delivery the panel showed at `row` (-1: gone): select it there,
        in view, unless the user has picked another meanwhile; gone, the panel empties."""
        if self.selected_ids():
            return
        if row < 0:
            self._selection_changed()
            return
        self.table.selectRow(row)
        self.table.scrollTo(self.model.index(row, 0), QAbstractItemView.ScrollHint.PositionAtCenter)

    def selected_ids(self) -> list[int]:
        """The selected deliveries, in the order the table lists them."""
        rows = sorted(self.table.selectionModel().selectedRows(), key=lambda index: index.row())
        return [index.data(ID_ROLE) for index in rows]

    def selected_id(self) -> int | None:
        """The one selected delivery; None when none, or several, are selected."""
        ids = self.selected_ids()
        return ids[0] if len(ids) == 1 else None

    def _selection_changed(self, *_args) -> None:
        delivery_id = self.selected_id()
        self._route_resends(None if delivery_id is None else self.model.loaded_row(delivery_id))
        self.compare_action.setEnabled(len(self.selected_ids()) == 2)
        self.compare_with_action.setEnabled(delivery_id is not None)
        self.outcome_action.setEnabled(delivery_id is not None)
        if delivery_id is None:
            self.panel.show_delivery(None)
        else:
            self._load_detail(delivery_id)

    def _route_resends(self, row: dict | None) -> None:
        """Resend and Edit and resend enabled, and their tooltips, as the one rule
        (resend.resend_route) sends the selected delivery: here, to its ECG module, or not."""
        for action, edited, usual in (
            (self.resend_action, False, RESEND_TIP),
            (self.edit_resend_action, True, EDIT_RESEND_TIP),
        ):
            route = resend.resend_route(row["id"], row["source"], edited) if row else None
            action.setEnabled(route is not None and route.way != resend.REFUSED)
            action.setToolTip(route.sentence if route and route.sentence else usual)

    def _load_detail(self, delivery_id: int) -> None:
        run_query(
            self.context.db,
            lambda session: delivery_detail.detail(session, delivery_id),
            self._show_detail,
            self.context.say,
        )

    def _show_detail(self, record: dict) -> None:
        if record["id"] == self.selected_id():
            self.panel.show_delivery(record)

    # --- identifying values -------------------------------------------------------------

    def _masking_changed(self) -> None:
        self.model.set_masking(self.context.masking)
        self.panel.set_masking(self.context.masking)

    def reveal_identifiers(self, delivery_id: int) -> None:
        """Show a delivery's identifiers in full, once the reveal is in the audit trail."""
        db = self.context.db

        def work():
            with db.session() as session:
                identifying.reveal(session, "delivery", delivery_id)
            return delivery_id

        run_job(work, self.panel.show_revealed, self._reveal_failed)

    def _reveal_failed(self, sentence: str) -> None:
        show_error(self, sentence)

    # --- resending ----------------------------------------------------------------------

    def resend_selected(self) -> None:
        delivery_id = self.selected_id()
        if delivery_id is None:
            return
        db, store = self.context.db, self.context.store

        def work() -> str:
            hosted = hosted_actions.delivery_writes(db, store, delivery_id)
            if hosted is not None:  # pulled from an ECG module: the module retries it
                with hosted as writes:
                    done = writes.retry(delivery_id)
                return hosted_actions.module_answer(f"retried delivery {delivery_id}", done)
            with db.session() as session:
                new_id = resend.resend(session, delivery_id).id
            return f"Delivery {delivery_id} queued again as {new_id}."

        def done(sentence: str) -> None:
            self.context.say(sentence)
            self.context.deliveries_changed.emit()

        run_job(work, done, lambda sentence: show_error(self, sentence))

    def record_outcome(self) -> None:
        delivery_id = self.selected_id()
        if delivery_id is not None:
            self.outcome_dialog = OutcomeDialog(self.context, delivery_id, self)
            self.outcome_dialog.open()

    def edit_and_resend(self) -> None:
        delivery_id = self.selected_id()
        if delivery_id is not None:
            open_edit_resend(self.context, delivery_id, self, self._keep_edit_dialog)

    def _keep_edit_dialog(self, dialog) -> None:
        previous, self.edit_resend_dialog = self.edit_resend_dialog, dialog
        if previous is not None:
            previous.deleteLater()

    def compare_selected(self) -> None:
        ids = self.selected_ids()
        if len(ids) == 2:
            older, newer = sorted(ids)  # so it reads "from A to B" in time order
            self.compare_dialog = CompareDialog(self.context, str(older), str(newer), self)
            self.compare_dialog.open()

    def compare_with(self) -> None:
        delivery_id = self.selected_id()
        if delivery_id is not None:
            self.compare_ask = ask_and_compare(
                self.context, str(delivery_id), self, self._keep_compare_dialog
            )

    def _keep_compare_dialog(self, dialog) -> None:
        self.compare_dialog = dialog

    def resend_all_matching(self) -> None:
        """Count first (a dry run), ask, then queue them all with progress and Cancel."""
        self.resend_all_dialog = ResendAllDialog(self.context, self.model.filters, self)
        self.resend_all_dialog.open()

    def export(self) -> None:
        """Export what the table lists (the applied filters)."""
        self.export_dialog = open_export_dialog(
            self.context, self.model.filters, self, self.settings
        )

    # --- remembering --------------------------------------------------------------------

    def _splitters(self) -> dict[str, QSplitter]:
        return {"table": self.splitter, "charts": self.charts.splitter, **self.panel.splitters()}

    def save_state(self, settings: QSettings) -> None:
        """The filters, the order, the splitters and the side page, for the next start."""
        for name, value in self.filters.state().items():
            settings.setValue(f"history/filters/{name}", value)
        self.sorting.save(settings)
        for name, splitter in self._splitters().items():
            settings.setValue(f"history/splitter/{name}", splitter.saveState())
        settings.setValue("history/side", self.side.currentIndex())

    def restore_state(self, settings: QSettings) -> None:
        """What save_state kept; the remembered filters are applied at once."""
        self.settings = settings
        for name, splitter in self._splitters().items():
            state = settings.value(f"history/splitter/{name}")
            if state is not None:
                splitter.restoreState(state)
        self.side.setCurrentIndex(int(settings.value("history/side", 0)))
        settings.beginGroup("history/filters")
        state = {name: settings.value(name) for name in settings.childKeys()}
        settings.endGroup()
        sorted_otherwise = self.sorting.restore(settings)
        if state:
            self.filters.restore(state)
            self.filters.apply()
        elif sorted_otherwise:
            self.model.reload()


__all__ = ["COLUMNS", "HistoryTab"]
