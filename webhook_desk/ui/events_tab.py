"""The Events tab: the catalog as a tree by category, the samples of an event, and Fire…."""

from __future__ import annotations

import json

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QBrush, QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QSplitter,
    QToolBar,
    QToolButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from webhook_desk.db.models import EventType
from webhook_desk.services import catalog, firing, registrations
from webhook_desk.ui.catalog_actions import CATEGORY_ROLE, CatalogActions
from webhook_desk.ui.colours import qcolour
from webhook_desk.ui.context import AppContext
from webhook_desk.ui.dialogs.fire_dialog import FireDialog
from webhook_desk.ui.icons import icon
from webhook_desk.ui.jobs import run_job, run_query
from webhook_desk.ui.widgets.context_menu import attach_context_menu, fill_menu
from webhook_desk.ui.widgets.json_editor import JsonEditor
from webhook_desk.vocabulary import EventStatus, RegistrationStatus

STATUS_COLOURS = {
    EventStatus.ACTIVE: "ok",
    EventStatus.INACTIVE: "warning",
    EventStatus.ARCHIVED: "muted",
}
MODULE_NAMES = {"centrepoint": "CentrePoint", "ecg": "ECG module"}
EVENT_ROLE = Qt.ItemDataRole.UserRole + 1


def load_catalog(session) -> list[tuple[object, list[EventType]]]:
    """Categories with their events (samples loaded), for a tree built off the session."""
    events = catalog.list_events(session)
    by_category: dict[int, list[EventType]] = {}
    for event in events:
        by_category.setdefault(event.category_id, []).append(event)
    return [(c, by_category.get(c.id, [])) for c in catalog.list_categories(session)]


def fire_choices(session, code: str) -> tuple[list[dict], list[dict]]:
    """Where the Fire dialog can aim (the enabled registrations subscribed to `code`, mirrors
    marked with their source) and whose secrets it can sign with."""
    targets = [
        {"id": r.id, "name": r.name, "url": r.url, "source": r.source}
        for r in registrations.list_all(session)
        if r.status == RegistrationStatus.ENABLED and code in r.event_codes
    ]
    signers = [
        {"id": r.id, "name": r.name, "auth_type": r.auth_type}
        for r in firing.signing_registrations(session)
    ]
    return targets, signers


class EventsTab(QWidget):
    def __init__(self, context: AppContext, parent=None):
        super().__init__(parent)
        self.context = context
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["Event", "Version", "Status"])
        self.tree.setAlternatingRowColors(True)
        self.tree.setUniformRowHeights(True)
        self.tree.setStyleSheet("QTreeView::item { padding: 3px 2px; }")
        self.tree.currentItemChanged.connect(self._current_changed)
        self.tree.itemDoubleClicked.connect(lambda *_: self.open_fire_dialog())
        self.title = QLabel()
        self.title.setStyleSheet("font-size: 15px; font-weight: 600;")
        self.description = QLabel()
        self.description.setWordWrap(True)
        self.facts = QLabel()
        self.samples = QComboBox()
        self.samples.currentTextChanged.connect(self._show_sample)
        self.viewer = JsonEditor(read_only=True)
        self.fire_action = QAction(icon("fire"), "Fire…", self)
        self.fire_action.setShortcut(QKeySequence("Ctrl+F"))
        self.fire_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.fire_action.triggered.connect(self.open_fire_dialog)
        self.addAction(self.fire_action)
        toolbar = QToolBar()
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        toolbar.addAction(self.fire_action)
        toolbar.widgetForAction(self.fire_action).setFocusPolicy(Qt.FocusPolicy.TabFocus)
        self.catalog_actions = CatalogActions(self)
        edits = QToolButton(text="Catalog", popupMode=QToolButton.ToolButtonPopupMode.InstantPopup)
        edits.setMenu(fill_menu(QMenu(edits), self.catalog_actions.actions))
        toolbar.addWidget(edits)
        self.context_menu = attach_context_menu(self.tree, [self.fire_action])
        splitter = QSplitter()
        splitter.addWidget(self.tree)
        splitter.addWidget(self._detail_panel())
        splitter.setSizes([460, 820])
        layout = QVBoxLayout(self)
        layout.addWidget(toolbar)
        layout.addWidget(splitter)
        self.events: list[EventType] = []
        self.fire_dialog: FireDialog | None = None  # opens once its targets are read
        self.refresh()

    def _detail_panel(self) -> QWidget:
        panel = QWidget()
        sample_row = QHBoxLayout()
        sample_row.addWidget(QLabel("Sample payload"))
        sample_row.addWidget(self.samples, 1)
        form = QFormLayout()
        form.addRow(self.facts)
        layout = QVBoxLayout(panel)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(self.description)
        layout.addLayout(form)
        layout.addLayout(sample_row)
        layout.addWidget(self.viewer, 1)
        return panel

    def refresh(self) -> None:
        db = self.context.db

        def load():
            with db.session() as session:
                return load_catalog(session)

        run_job(load, self._show_catalog, self.context.say)

    def _show_catalog(self, categories) -> None:
        # A re-read (after an edit) keeps the event that was selected.
        previous = self.current_event()
        keep = (previous.code, previous.version) if previous is not None else None
        self.tree.clear()
        first = None
        for category, events in categories:
            # A category's row spans the columns: its name is not cut to "Uploads and…"
            # in a narrow tree; its status is said only when it is not active.
            module = MODULE_NAMES.get(category.module, category.module)
            state = "" if category.status == "active" else f"  ({category.status})"
            parent = QTreeWidgetItem([f"{category.name}  ·  {module}{state}"])
            parent.setIcon(0, icon("events"))
            self.tree.addTopLevelItem(parent)
            parent.setFirstColumnSpanned(True)
            parent.setData(0, CATEGORY_ROLE, category)
            for event in events:
                status = catalog.effective_status(event)
                item = QTreeWidgetItem([event.code, event.version, status])
                item.setData(0, EVENT_ROLE, event)
                item.setToolTip(0, event.name)
                item.setForeground(2, QBrush(qcolour(STATUS_COLOURS.get(status, "muted"))))
                parent.addChild(item)
                first = item if (event.code, event.version) == keep else first or item
            parent.setExpanded(True)
        header = self.tree.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in (1, 2):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        if first is not None and self.tree.currentItem() is None:
            self.tree.setCurrentItem(first)

    def current_event(self) -> EventType | None:
        item = self.tree.currentItem()
        return item.data(0, EVENT_ROLE) if item else None

    def select_event(self, code: str, version: str | None = None) -> None:
        for i in range(self.tree.topLevelItemCount()):
            parent = self.tree.topLevelItem(i)
            for j in range(parent.childCount()):
                event = parent.child(j).data(0, EVENT_ROLE)
                if event.code == code and version in (None, event.version):
                    self.tree.setCurrentItem(parent.child(j))
                    return

    def _current_changed(self, *_args) -> None:
        event = self.current_event()
        self.fire_action.setEnabled(event is not None and bool(event.samples))
        self.samples.clear()
        if event is None:
            self.title.setText("Choose an event")
            self.description.setText("")
            self.facts.setText("")
            self.viewer.clear()
            return
        self.title.setText(f"{event.name}  ({event.code} {event.version})")
        self.description.setText(event.description or "")
        self.facts.setText(
            f"Category: {event.category.name} · Module: "
            f"{MODULE_NAMES.get(event.category.module, event.category.module)} · "
            f"Status: {catalog.effective_status(event)}"
        )
        self.samples.addItems([s.name for s in event.samples])

    def _show_sample(self, name: str) -> None:
        event = self.current_event()
        if event is None or not name:
            self.viewer.clear()
            return
        payload = catalog.sample_payload(event, name)
        self.viewer.setPlainText(json.dumps(payload, indent=2, ensure_ascii=False))

    def open_fire_dialog(self) -> None:
        event = self.current_event()
        if event is None or not event.samples:
            return
        run_query(
            self.context.db,
            lambda session: fire_choices(session, event.code),
            lambda choices: self._open_fire_dialog(event, *choices),
            self.context.say,
        )

    def _open_fire_dialog(self, event: EventType, targets: list[dict], signers: list[dict]):
        self.fire_dialog = FireDialog(self.context, event, targets, self, signers)
        self.fire_dialog.open()
