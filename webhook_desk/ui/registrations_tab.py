"""The Registrations tab: a searchable table, a detail panel, and the actions on a registration."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QCheckBox,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QMessageBox,
    QScrollArea,
    QSplitter,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from webhook_desk.ui.context import AppContext
from webhook_desk.ui.dialogs.message import show_error
from webhook_desk.ui.icons import icon
from webhook_desk.ui.jobs import run_job, run_query
from webhook_desk.ui.models.registrations_model import (
    ID_ROLE,
    RegistrationsFilter,
    RegistrationsModel,
)
from webhook_desk.ui.registration_detail import RegistrationDetail
from webhook_desk.ui.widgets.context_menu import attach_context_menu
from webhook_desk.ui.widgets.record_table import record_table
from webhook_desk.vocabulary import AuthType, RegistrationStatus

if TYPE_CHECKING:
    from webhook_desk.services.registration_rules import EventChoice
    from webhook_desk.ui.dialogs.registration_dialog import RegistrationDialog

# The services, dialogs and hosted actions are imported where they are used: the window's
# first paint (issue 15) shows this tab before SQLAlchemy and the HTTP stack are imported.

ENABLED, DISABLED, ARCHIVED = RegistrationStatus
RECENT = 8  # deliveries shown in the detail panel
DETAIL_MIN_WIDTH = 430
# action -> (button text, question, allowed from statuses)
STATUS_CHANGES = {
    "enable": ("Enable", "Enable {name}? Events will be sent to it again.", (DISABLED,)),
    "disable": ("Disable", "Disable {name}? No events will be sent to it.", (ENABLED,)),
    "archive": (
        "Archive",
        "Archive {name}? It is hidden from the list until restored.",
        (ENABLED, DISABLED),
    ),
    "restore": ("Restore", "Restore {name}? It comes back disabled.", (ARCHIVED,)),
}


def load_rows(session, include_archived: bool) -> list[dict]:
    from webhook_desk.services.registration_list import tab_rows

    return tab_rows(session, include_archived)


class RegistrationsTab(QWidget):
    def __init__(self, context: AppContext, parent=None, first_rows: list[dict] | None = None):
        """`first_rows`: the rows to paint at once (a deferred start read them already)."""
        super().__init__(parent)
        self.context = context
        self.model = RegistrationsModel(self)
        self.proxy = RegistrationsFilter(self)
        self.proxy.setSourceModel(self.model)
        self.table = record_table(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.doubleClicked.connect(self.edit)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search name, study, URL, events…")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self.proxy.setFilterFixedString)
        self.show_archived = QCheckBox("Show archived")
        self.show_archived.toggled.connect(self.refresh)
        self.detail = RegistrationDetail()
        self.detail.module_secrets_button.clicked.connect(self.show_module_secrets)
        self._build_actions()
        filters = QHBoxLayout()
        filters.addWidget(self.search, 1)
        filters.addWidget(self.show_archived)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addLayout(filters)
        left_layout.addWidget(self.table)
        self.splitter = QSplitter()
        self.splitter.addWidget(left)
        # At 700 px high the panel needs more room than it has: it scrolls rather than
        # squeezing its wrapped lines (a registration's events) until they are cut off.
        detail_scroll = QScrollArea()
        detail_scroll.setWidget(self.detail)
        detail_scroll.setWidgetResizable(True)
        detail_scroll.setFrameShape(QFrame.Shape.NoFrame)
        detail_scroll.setMinimumWidth(DETAIL_MIN_WIDTH)  # a usual URL fits; longer ones scroll
        self.splitter.addWidget(detail_scroll)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([860, 420])
        layout = QVBoxLayout(self)
        layout.addWidget(self.toolbar)
        layout.addWidget(self.splitter)
        context.registrations_changed.connect(self.refresh)
        # The engine moves validation state, last delivery and failure streak along.
        context.deliveries_changed.connect(self.refresh)
        self._select_after_refresh: int | None = None
        self.dialog: RegistrationDialog | None = None  # opens once its event list is read
        if first_rows is None:
            self.refresh()
        else:
            self._show_rows(first_rows)

    def _build_actions(self) -> None:
        self.toolbar = QToolBar()
        self.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.actions_by_name: dict[str, QAction] = {}
        self.tooltips: dict[str, str] = {}
        self.menu_actions: list[QAction | None] = []  # None: a separator
        for name, text, shortcut, slot in (
            ("add", "Add…", QKeySequence.StandardKey.New, self.add),
            ("edit", "Edit…", "Ctrl+E", self.edit),
            ("validate", "Validate", "Ctrl+Shift+V", self.validate),
            ("check", "Check endpoint…", "Ctrl+Shift+G", self.check_endpoint),
            ("enable", "Enable…", "Ctrl+Shift+E", lambda: self.change_status("enable")),
            ("disable", "Disable…", "Ctrl+Shift+X", lambda: self.change_status("disable")),
            ("rotate", "Rotate secret…", "Ctrl+Shift+K", self.rotate_secret),
            ("archive", "Archive…", "Ctrl+Shift+H", lambda: self.change_status("archive")),
            ("restore", "Restore…", "Ctrl+Shift+U", lambda: self.change_status("restore")),
            ("delete", "Delete…", QKeySequence.StandardKey.Delete, self.delete),
        ):
            action = QAction(icon(name), text, self)
            action.setShortcut(QKeySequence(shortcut))
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            keys = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
            action.setToolTip(f"{text.rstrip('…')} ({keys})")
            self.tooltips[name] = action.toolTip()
            action.triggered.connect(slot)
            self.toolbar.addAction(action)
            # Tab reaches the toolbar's buttons too, not only the mouse.
            self.toolbar.widgetForAction(action).setFocusPolicy(Qt.FocusPolicy.TabFocus)
            self.addAction(action)
            self.actions_by_name[name] = action
            self.menu_actions.append(action)
            if name in ("validate", "rotate"):
                self.toolbar.addSeparator()
                self.menu_actions.append(None)
        self.context_menu = attach_context_menu(self.table, self.menu_actions[1:])
        self._update_actions()

    # --- reading ------------------------------------------------------------------------

    def refresh(self) -> None:
        db, archived = self.context.db, self.show_archived.isChecked()

        def load():
            with db.session() as session:
                return load_rows(session, archived)

        run_job(load, self._show_rows, self.context.say)

    def _show_rows(self, rows: list[dict]) -> None:
        keep = self._select_after_refresh or self.selected_id()
        self._select_after_refresh = None
        self.model.set_rows(rows)
        self.table.resizeColumnsToContents()
        for column, width in ((8, 320), (9, 260)):
            self.table.setColumnWidth(column, min(self.table.columnWidth(column), width))
        if keep is not None:
            self.select(keep)
        self._selection_changed()

    def select(self, reg_id: int) -> None:
        row = self.model.row_for(reg_id)
        if row is None:
            return
        index = self.proxy.mapFromSource(self.model.index(row, 0))
        self.table.selectRow(index.row())

    def selected_id(self) -> int | None:
        rows = self.table.selectionModel().selectedRows()
        return rows[0].data(ID_ROLE) if rows else None

    def selected_row(self) -> dict | None:
        reg_id = self.selected_id()
        row = self.model.row_for(reg_id) if reg_id is not None else None
        return self.model.rows[row] if row is not None else None

    def _selection_changed(self, *_args) -> None:
        row = self.selected_row()
        if row is not None and row is not self.detail.row:
            self.detail.show_row(row)
            self._load_recent(row["id"])
        elif row is None:
            self.detail.show_row(None)
        self._update_actions()

    def _load_recent(self, reg_id: int) -> None:
        db = self.context.db

        def load():
            from webhook_desk.history import queries
            from webhook_desk.history.filters import Filters

            with db.session() as session:
                page = queries.list_deliveries(session, Filters(registration_id=reg_id), RECENT)
                return reg_id, [queries.as_dict(d) for d in page.rows]

        run_job(load, self._show_recent, self.context.say)

    def _show_recent(self, result) -> None:
        reg_id, deliveries = result
        if self.detail.row is not None and self.detail.row["id"] == reg_id:
            self.detail.show_recent(deliveries)

    def _update_actions(self) -> None:
        row = self.selected_row()
        status = row["status"] if row else None
        for name, action in self.actions_by_name.items():
            if name == "add":
                continue
            if name in STATUS_CHANGES:
                action.setEnabled(status in STATUS_CHANGES[name][2])
            elif name == "rotate":  # a hosted subscription always signs (HMAC)
                action.setEnabled(
                    row is not None
                    and (row.get("source") == "ecg" or row["auth_type"] != AuthType.NONE)
                )
            elif name == "validate":
                action.setEnabled(bool(row) and status == ENABLED)
            elif name == "check":
                action.setEnabled(row is not None and row.get("source", "local") == "local")
            else:
                action.setEnabled(row is not None)
            self._say_why_read_only(name, action, row)

    def _say_why_read_only(self, name: str, action: QAction, row: dict | None) -> None:
        """A mirror's change the platform does not take: disabled, its tooltip says why."""
        why = None
        if row:  # (none is selected at the first paint, before the services are imported)
            from webhook_desk.services.registrations import mirror_refusal

            why = mirror_refusal(row.get("source", "local"), name)
        if why:
            action.setEnabled(False)
        action.setToolTip(why or self.tooltips[name])

    # --- changing -----------------------------------------------------------------------

    def add(self) -> None:
        from webhook_desk.services import registration_rules
        from webhook_desk.ui.hosted_actions import connected_modules

        def read(session):  # the events to offer, and the ECG modules it can be made on
            return registration_rules.event_choices(session), connected_modules(session)

        run_query(
            self.context.db,
            read,
            lambda found: self._open_dialog(found[0], modules=found[1]),
            self.context.say,
        )

    def edit(self, *_args) -> None:
        row = self.selected_row()
        if row is None:
            return
        from webhook_desk.services import registration_rules

        run_query(
            self.context.db,
            registration_rules.event_choices,
            lambda events: self._open_dialog(events, row),
            self.context.say,
        )

    def _open_dialog(
        self, events: list[EventChoice], existing: dict | None = None, modules=()
    ) -> None:
        from webhook_desk.ui.dialogs.registration_dialog import RegistrationDialog

        dialog = RegistrationDialog(self.context, events, existing, self, list(modules))
        dialog.saved.connect(self._saved)
        dialog.open()
        self.dialog = dialog

    def _saved(self, reg_id: int, generated: str) -> None:
        self._select_after_refresh = reg_id
        self.context.registrations_changed.emit()
        self.context.say(f"Registration {reg_id} saved.")
        before = self.dialog.existing
        if before and before["validation_state"] != "pending":
            self._check_validation_reset(reg_id)
        if generated:
            self._show_secret(
                "New registration's secret",
                f"The signing secret of registration {reg_id}:",
                generated,
            )

    def _check_validation_reset(self, reg_id: int) -> None:
        """A new URL, auth type or credentials send the registration through validation
        again: say so, and offer to run it now rather than leave its events waiting."""
        db = self.context.db

        def state() -> str:
            from webhook_desk.services import registrations

            with db.session() as session:
                return registrations.get(session, reg_id).validation_state

        run_job(state, lambda now: now == "pending" and self._offer_validation(reg_id))

    def _offer_validation(self, reg_id: int) -> None:
        box = QMessageBox(
            QMessageBox.Icon.Information,
            "Validate again",
            f"Registration {reg_id} changed where or how it is sent, so it must pass the "
            "validation handshake again before events are sent to it. Validate it now?",
            parent=self,
        )
        now = box.addButton("Validate now", QMessageBox.ButtonRole.AcceptRole)
        box.addButton("Later", QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(now)
        now.clicked.connect(lambda: self.validate(reg_id))
        self.validate_box = box
        box.open()

    def _show_secret(self, title: str, explanation: str, secret: str) -> None:
        from webhook_desk.ui.dialogs.secret_dialog import SecretDialog

        self.secret_dialog = SecretDialog(title, explanation, secret, self)
        self.secret_dialog.open()

    def _ask(self, title: str, question: str, button: str, then) -> None:
        from webhook_desk.ui.dialogs.reason_dialog import ReasonDialog

        self.reason_dialog = ReasonDialog(title, question, button, self)
        self.reason_dialog.confirmed.connect(then)
        self.reason_dialog.open()

    def _run_change(self, work, done_sentence: str) -> None:
        db = self.context.db

        def change():
            with db.session() as session:
                return work(session)

        def done(result):
            self.context.registrations_changed.emit()
            self.context.say(done_sentence)
            return result

        run_job(change, done, self._refused)

    def _run_on_module(
        self, reg_id: int, work, done_sentence: str, then=None, reason: str | None = None
    ) -> None:
        """`work(writes)` on the ECG module a mirror came from, then the mirror; off the GUI
        thread, a conflict put to the user. `then(result)` follows on the GUI thread."""
        from webhook_desk.ui.hosted_actions import run_on_module

        def done(result) -> None:
            self.context.registrations_changed.emit()
            self.context.say(done_sentence)
            if then is not None:
                then(result)

        run_on_module(self, self.context, reg_id, work, done, self._refused, reason)

    def _refused(self, sentence: str) -> None:
        show_error(self, sentence)

    def change_status(self, action: str) -> None:
        row = self.selected_row()
        if row is None:
            return
        button, question, _ = STATUS_CHANGES[action]
        reg_id = row["id"]
        from webhook_desk.services import registrations

        def confirmed(reason: str) -> None:
            if row.get("source") == "ecg":  # the module first, then the mirror here
                self._run_on_module(
                    reg_id,
                    lambda writes: writes.set_status(reg_id, action, reason or None),
                    f"Registration {reg_id}: {action}d on the ECG module and here.",
                    reason=reason or None,
                )
                return
            self._run_change(
                lambda s: registrations.set_status(s, reg_id, action, reason or None).id,
                f"Registration {reg_id}: {action}d.",
            )

        self._ask(f"{button} registration", question.format(name=row["name"]), button, confirmed)

    def delete(self) -> None:
        row = self.selected_row()
        if row is None:
            return
        reg_id, store = row["id"], self.context.store
        from webhook_desk.services import registrations

        hosted = row.get("source") == "ecg"

        def confirmed(reason: str) -> None:
            if hosted:
                self._run_on_module(
                    reg_id,
                    lambda writes: writes.delete(reg_id, store, reason or None),
                    f"Registration {reg_id} deleted on the ECG module and here.",
                )
                return
            self._run_change(
                lambda s: registrations.delete(s, store, reg_id, reason or None),
                f"Registration {reg_id} deleted.",
            )

        where = " on the ECG module and here" if hosted else ""
        self._ask(
            "Delete registration",
            f"Delete {row['name']}{where} and its secrets? Its delivery history stays. "
            "This cannot be undone.",
            "Delete",
            confirmed,
        )

    def rotate_secret(self) -> None:
        row = self.selected_row()
        if row is None:
            return
        from webhook_desk.services import registrations
        from webhook_desk.ui import hosted_actions

        if row.get("source") == "ecg":
            hosted_actions.set_secret(self, row)
            return
        reg_id, db, store = row["id"], self.context.db, self.context.store

        def confirmed(reason: str) -> None:
            def rotate():
                with db.session() as session:
                    version, value = registrations.rotate_secret(
                        session, store, reg_id, reason=reason or None
                    )
                    return version.version, value

            run_job(rotate, rotated, self._refused)

        def rotated(result) -> None:
            version, value = result
            self.context.registrations_changed.emit()
            if value:
                self._show_secret(
                    "Secret rotated",
                    f"Secret version {version} of registration {reg_id}. The "
                    "previous version stays valid for the grace period.",
                    value,
                )

        question = (
            f"Rotate the secret of {row['name']}? A new secret is generated; the old "
            "one stays valid for a grace period so the receiver can move over."
        )
        if row["auth_type"] in (AuthType.BASIC, AuthType.OAUTH2):
            question = (
                f"{row['name']} uses {row['auth_type']}: its password or client secret "
                "is set with Edit."
            )
            self._ask("Rotate secret", question, "OK", lambda _reason: self.edit())
            return
        self._ask("Rotate secret", question, "Rotate", confirmed)

    def show_module_secrets(self) -> None:
        from webhook_desk.ui import hosted_actions

        hosted_actions.show_module_secrets(self)

    def check_endpoint(self) -> None:
        """Open the endpoint check for the selected registration (it runs on Run)."""
        from webhook_desk.ui.dialogs.endpoint_check_dialog import EndpointCheckDialog

        row = self.selected_row()
        if row is not None:
            self.check_dialog = EndpointCheckDialog(self.context, row["id"], row["url"], self)
            self.check_dialog.open()

    def validate(self, reg_id: int | None = None) -> None:
        """Run the handshake now (network: off the GUI thread) and show the verdict."""
        reg_id = reg_id or self.selected_id()
        if reg_id is None:
            return
        # The engine's HTTP stack loads on first use: the tab paints before it is needed.
        from webhook_desk.services import delivery_engine

        db, store = self.context.db, self.context.store
        self.actions_by_name["validate"].setEnabled(False)
        self.context.say(f"Validating registration {reg_id}…")

        def done(result) -> None:
            self.context.registrations_changed.emit()
            self.context.deliveries_changed.emit()
            self.context.say(
                f"Registration {reg_id} passed validation."
                if result.ok
                else f"Registration {reg_id} failed validation: {result.error}"
            )

        engine = self.context.engine  # the handshake signed as Settings say (engine started)
        signed = engine.engine.sign_validation if engine is not None else False
        run_job(
            lambda: delivery_engine.validate(db, store, reg_id, signed=signed), done, self._refused
        )
