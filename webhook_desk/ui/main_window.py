"""The main window: the four tabs, the menus, the status bar, and a remembered layout.

A deferred start (the app's) builds the Registrations tab, the status bar and the menus that
need nothing else, so the window paints with its data at once; `build_rest` adds the Events,
History and Receiver tabs, the engine and the receiver after that first paint.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QSettings, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import QLabel, QMainWindow, QMessageBox, QTabWidget

from webhook_desk import __version__
from webhook_desk.ui.context import AppContext
from webhook_desk.ui.icons import icon
from webhook_desk.ui.jobs import run_job, wait_for_jobs
from webhook_desk.ui.notifications import notify
from webhook_desk.ui.registrations_tab import RegistrationsTab
from webhook_desk.ui.status_bar import StatusBar
from webhook_desk.ui.widgets.context_menu import fill_menu

if TYPE_CHECKING:
    from webhook_desk.services.audit import ChainState

# The services and dialogs are imported where they are used: a deferred start paints the
# window before SQLAlchemy, the engine and the HTTP stack are imported (issue 15).

DEFAULT_SIZE = (1280, 800)
TABS = (
    ("Registrations", "registrations"),
    ("Events", "events"),
    ("History", "history"),
    ("Receiver", "receiver"),
)
DELIVERIES_REFRESH_MS = 1000
WARNING_CHECK_MS = 60_000
RETENTION_FIRST_MS = 60_000  # a minute after start, out of the way of the first paint
RETENTION_EVERY_MS = 6 * 3600 * 1000


class MainWindow(QMainWindow):
    def __init__(
        self,
        context: AppContext,
        settings: QSettings | None = None,
        deferred: bool = False,
        first_rows: list[dict] | None = None,
    ):
        """With `deferred`, only the Registrations tab is built now; `build_rest` (or
        `start_services`) builds the rest, after the window has painted. `first_rows`: the
        Registrations tab's rows, read before the window (ui.app.open_window)."""
        super().__init__()
        self.context = context
        self.settings = settings or QSettings()
        context.settings = self.settings
        self.setWindowTitle("Webhook Desk")
        self.setWindowIcon(icon("app"))
        self.registrations_tab = RegistrationsTab(context, self, first_rows)
        self.tabs = QTabWidget(self)
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self.registrations_tab, icon("registrations"), "Registrations")
        for title, name in TABS[1:]:
            self.tabs.addTab(QLabel("Loading…"), icon(name), title)
        self.setCentralWidget(self.tabs)
        self.status = StatusBar(context, self)
        self.setStatusBar(self.status)
        self._build_menus()
        self._restore_geometry()
        self.rest_built = False
        if not deferred:
            self.build_rest()

    def build_rest(self) -> None:
        """The Events, History and Receiver tabs, the engine and the receiver; once."""
        for step in self.rest_steps():
            step()

    def rest_steps(self) -> list[Callable[[], None]]:
        """build_rest in parts, for a start that lets the event loop run between them so the
        window stays live while they load (ui.app.finish_start); none once built."""
        if self.rest_built:
            return []
        self.rest_built = True
        return [
            self._make_services,
            self._add_events_tab,
            self._add_history_tab,
            self._add_receiver_tab,
            self._finish_rest,
        ]

    # Each part imports what it builds, not the module: these bring Qt Charts, HTTP (requests)
    # and the receiver's server (aiohttp), which the first paint of the window does not need.

    def _make_services(self) -> None:
        from webhook_desk.engine.defaults import Timeouts
        from webhook_desk.ui.engine_thread import EngineThread
        from webhook_desk.ui.preferences import Preferences
        from webhook_desk.ui.receiver_controller import ReceiverController

        context, prefs = self.context, Preferences.load(self.settings)
        if context.engine is None:
            timeouts = Timeouts(prefs.connect_timeout_s, prefs.total_timeout_s)
            context.engine = EngineThread(
                context.db,
                context.store,
                prefs.engine_workers,
                self,
                timeouts=timeouts,
                **prefs.engine_options(),
            )
        if context.receiver is None:
            receiver = ReceiverController(context.db, context.store, parent=self)
            receiver.use_preferences(prefs)
            context.receiver = receiver

    def _add_events_tab(self) -> None:
        from webhook_desk.ui.events_tab import EventsTab

        self.events_tab = EventsTab(self.context, self)
        self._place_tab(1, self.events_tab)

    def _add_history_tab(self) -> None:
        from webhook_desk.ui.history_tab import HistoryTab

        self.history_tab = HistoryTab(self.context, self)
        self.history_tab.restore_state(self.settings)
        self._place_tab(2, self.history_tab)

    def _add_receiver_tab(self) -> None:
        from webhook_desk.ui.receiver_tab import ReceiverTab

        self.receiver_tab = ReceiverTab(self.context, self)
        self._place_tab(3, self.receiver_tab)

    def _place_tab(self, index: int, widget) -> None:
        """`widget` where its "Loading…" placeholder was, the shown tab kept."""
        shown = self.tabs.currentIndex()
        placeholder = self.tabs.widget(index)
        self.tabs.removeTab(index)
        placeholder.deleteLater()
        self.tabs.insertTab(index, widget, icon(TABS[index][1]), TABS[index][0])
        self.tabs.setCurrentIndex(shown)

    def _finish_rest(self) -> None:
        self.context.load_masking()  # the tabs show identifiers masked until it is read
        self._build_service_menus()
        self.tabs.setCurrentIndex(int(self.settings.value("window/tab", self.tabs.currentIndex())))
        self._connect_services()

    # --- menus --------------------------------------------------------------------------

    def _action(self, text: str, slot, shortcut=None, icon_name: str | None = None) -> QAction:
        action = QAction(text, self)
        if icon_name:
            action.setIcon(icon(icon_name))
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(slot)
        return action

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        self.demo_action = self._action("Load &demo data…", self.offer_demo, icon_name="demo")
        file_menu.addAction(self.demo_action)
        self.connect_action = self._action("&Connect to the platform…", self.open_connect)
        file_menu.addAction(self.connect_action)
        self.import_action = self._action(
            "&Import history…", self.open_import, "Ctrl+Shift+I", "import"
        )
        file_menu.addAction(self.import_action)
        file_menu.addAction(
            self._action(
                "&Settings…", self.open_settings, QKeySequence.StandardKey.Preferences, "settings"
            )
        )
        file_menu.addSeparator()
        file_menu.addAction(self._action("&Retention…", self.open_retention))
        file_menu.addAction(self._action("&Erase a participant…", self.open_erasure))
        file_menu.addSeparator()
        file_menu.addAction(self._action("&Quit", self.close, QKeySequence.StandardKey.Quit))

        view_menu = bar.addMenu("&View")
        for index, title in enumerate(("Registrations", "Events", "History", "Receiver")):
            view_menu.addAction(
                self._action(
                    title,
                    lambda _=False, i=index: self.tabs.setCurrentIndex(i),
                    f"Ctrl+{index + 1}",
                )
            )
        view_menu.addSeparator()
        view_menu.addAction(
            self._action("&Refresh", self.refresh_all, QKeySequence.StandardKey.Refresh)
        )
        view_menu.addAction(self._action("&Audit trail…", self.open_audit, "Ctrl+Shift+T"))

        # Every action on a registration or an event, also from the keyboard (Alt+G, Alt+E).
        fill_menu(bar.addMenu("Re&gistration"), self.registrations_tab.menu_actions)
        self.help_menu = bar.addMenu("&Help")
        self.help_menu.addAction(self._action("&About Webhook Desk", self.show_about))

    def _build_service_menus(self) -> None:
        """Event, Delivery and Receiver, before Help: their actions live in the later tabs."""
        bar, before = self.menuBar(), self.help_menu.menuAction()
        event_menu = bar.addMenu("&Event")
        event_menu.addAction(self.events_tab.fire_action)
        engine_menu = bar.addMenu("&Delivery")
        self.engine_start_action = self._action(
            "&Start delivering", self.context.engine.start, "Ctrl+Shift+D", "start"
        )
        self.engine_pause_action = self._action(
            "&Pause delivering", self.toggle_pause, "Ctrl+P", "pause"
        )
        engine_menu.addAction(self.engine_start_action)
        engine_menu.addAction(self.engine_pause_action)
        receiver_menu = bar.addMenu("&Receiver")
        self.receiver_toggle_action = self._action(
            "&Start receiver", self.receiver_tab.toggle, "Ctrl+R", "receiver"
        )
        receiver_menu.addAction(self.receiver_toggle_action)
        receiver_menu.addAction(
            self._action("&Copy receiver URL", self.receiver_tab.copy_url, "Ctrl+Shift+C", "copy")
        )
        for menu in (event_menu, engine_menu, receiver_menu):
            bar.insertMenu(before, menu)

    # --- services -----------------------------------------------------------------------

    def _connect_services(self) -> None:
        engine, receiver = self.context.engine, self.context.receiver
        # Thousands of attempts a minute must not mean thousands of refreshes: coalesce them.
        self.deliveries_timer = QTimer(self, singleShot=True, interval=DELIVERIES_REFRESH_MS)
        self.deliveries_timer.timeout.connect(self._deliveries_progressed)
        engine.attempt_recorded.connect(self._attempt_recorded)
        engine.registration_disabled.connect(self._registration_disabled)
        engine.error.connect(self.context.say)
        engine.state_changed.connect(self._engine_state_changed)
        receiver.state_changed.connect(self._receiver_state_changed)
        # A new or rotated secret must be known to the receiver before the next delivery comes.
        self.context.registrations_changed.connect(
            lambda: receiver.is_running and run_job(receiver.refresh_secrets)
        )
        self._engine_state_changed()
        self._receiver_state_changed()
        self._warned: set[int] = set()
        self.warning_timer = QTimer(self, interval=WARNING_CHECK_MS)
        self.warning_timer.timeout.connect(self.check_disable_warnings)
        self.warning_timer.start()
        # The retention policies apply themselves in the background while the app is open.
        self.retention_timer = QTimer(self, interval=RETENTION_EVERY_MS)
        self.retention_timer.timeout.connect(self.apply_retention)
        self.retention_timer.start()
        QTimer.singleShot(RETENTION_FIRST_MS, self.apply_retention)
        from webhook_desk.ui.hosted_refresh import HostedRefresh

        self.hosted_refresh = HostedRefresh(self, self.context, self.settings)

    def apply_retention(self) -> None:
        """Purge what the policies say has had its time (nothing without a policy)."""
        db = self.context.db

        def purged(result) -> None:
            if result.payloads or result.records or result.captures:
                self.context.say(
                    f"Retention: {result.payloads:,} payloads, {result.records:,} records and "
                    f"{result.captures:,} captures removed as the policies say."
                )
                self.context.deliveries_changed.emit()

        from webhook_desk.services import retention

        run_job(lambda: retention.purge(db), purged, self.context.say)

    def check_disable_warnings(self) -> None:
        """Tell the user, once each, about registrations on their way to being auto-disabled."""
        db = self.context.db

        def find():
            from webhook_desk.engine import streaks

            with db.session() as session:
                return streaks.on_the_way_to_disabling(session)

        run_job(find, self._warn)

    def _warn(self, warnings: list[dict]) -> None:
        for warning in warnings:
            if warning["id"] not in self._warned:
                self._warned.add(warning["id"])
                notify(self, "Registration about to be disabled", warning["message"])

    def _attempt_recorded(self) -> None:
        if not self.deliveries_timer.isActive():
            self.deliveries_timer.start()

    def _deliveries_progressed(self) -> None:
        # Taking the reports re-arms the engine's signal; until then it stays quiet.
        self.context.engine.take_reports()
        self.context.deliveries_changed.emit()

    def _registration_disabled(self, reg_id: int) -> None:
        self.context.registrations_changed.emit()
        notify(
            self,
            "Registration disabled",
            f"Registration {reg_id} failed every delivery for too long and was disabled.",
        )

    def _engine_state_changed(self, *_args) -> None:
        state = self.context.engine.state
        self.engine_start_action.setEnabled(state == "stopped")
        self.engine_pause_action.setEnabled(state in ("running", "paused"))
        self.engine_pause_action.setText(
            "&Resume delivering" if state == "paused" else "&Pause delivering"
        )
        self.status.show_engine_state()

    def toggle_pause(self) -> None:
        engine = self.context.engine
        engine.resume() if engine.engine.paused else engine.pause()

    def _receiver_state_changed(self, *_args) -> None:
        running = self.context.receiver.is_running
        self.receiver_toggle_action.setText("&Stop receiver" if running else "&Start receiver")
        self.status.show_receiver_state()

    def refresh_all(self) -> None:
        self.context.registrations_changed.emit()
        self.context.deliveries_changed.emit()

    def show_about(self) -> None:
        """About, with whether the audit chain is intact (walked off the GUI thread first)."""
        db = self.context.db

        def verify() -> ChainState:
            from webhook_desk.services import audit

            with db.session() as session:
                return audit.verify(session)

        run_job(verify, self._about, self.context.say)

    def _about(self, chain: ChainState) -> None:
        state = (
            f"intact, {chain.entries:,} entries" if chain.ok else f"<b>broken</b>: {chain.problem}"
        )
        self.about_box = QMessageBox(
            QMessageBox.Icon.Information, "About Webhook Desk", "", parent=self
        )
        self.about_box.setText(
            f"<b>Webhook Desk {__version__}</b><br>Register, fire, receive and analyse "
            "CentrePoint and ECG webhooks on your own machine.<br><br>"
            f"Database: {self.context.db.engine.url.render_as_string(hide_password=True)}<br>"
            f"Audit trail: {state}"
        )
        self.about_box.open()

    def open_retention(self) -> None:
        from webhook_desk.ui.dialogs.data_protection_dialogs import RetentionDialog

        self.retention_dialog = RetentionDialog(self.context, self)
        self.retention_dialog.open()

    def open_erasure(self) -> None:
        from webhook_desk.ui.dialogs.data_protection_dialogs import EraseSubjectDialog

        self.erasure_dialog = EraseSubjectDialog(self.context, self)
        self.erasure_dialog.open()

    def open_audit(self) -> None:
        from webhook_desk.ui.dialogs.audit_dialog import AuditDialog

        self.audit_dialog = AuditDialog(self.context, self)
        self.audit_dialog.open()

    def open_settings(self) -> None:
        from webhook_desk.ui.dialogs.settings_dialog import SettingsDialog

        self.settings_dialog = SettingsDialog(self.settings, self, self.context.db)
        self.settings_dialog.accepted.connect(self.context.load_masking)
        if self.rest_built:
            self.settings_dialog.accepted.connect(self.hosted_refresh.configure)
        self.settings_dialog.open()

    def open_import(self) -> None:
        from webhook_desk.ui.dialogs.import_dialog import ImportDialog

        self.import_dialog = ImportDialog(self.context, self, self.settings)
        self.import_dialog.open()

    def open_connect(self) -> None:
        # The platform's HTTP client (requests) loads when asked for, not before the first paint.
        from webhook_desk.ui.dialogs.connect_dialog import ConnectDialog

        self.connect_dialog = ConnectDialog(self.context, self)
        self.connect_dialog.open()

    def offer_demo(self) -> None:
        from webhook_desk.ui.dialogs.first_start_dialog import FirstStartDialog

        self.first_start = FirstStartDialog(self.context, self, first_start=False)
        self.first_start.open()

    def start_services(self) -> None:
        """After the window shows: build what a deferred start left out, start delivering,
        and offer demo data on a first start."""
        self.build_rest()
        self.start_delivering()

    def start_delivering(self) -> None:
        """Start the engine, offer demo data on a first start, warn of coming auto-disables."""
        self.context.engine.start()
        db = self.context.db

        def empty() -> bool:
            from webhook_desk.services import delivery_counts

            with db.session() as session:
                return delivery_counts.is_empty(session)

        run_job(empty, lambda is_empty: is_empty and self.offer_first_start())
        self.check_disable_warnings()

    def offer_first_start(self) -> None:
        from webhook_desk.ui.dialogs.first_start_dialog import FirstStartDialog

        self.first_start = FirstStartDialog(self.context, self, first_start=True)
        self.first_start.open()

    # --- layout -------------------------------------------------------------------------

    def _restore_geometry(self) -> None:
        geometry = self.settings.value("window/geometry")
        if geometry is None or not self.restoreGeometry(geometry):
            self.resize(*DEFAULT_SIZE)
        self._fit_on_screen()
        state = self.settings.value("window/state")
        if state is not None:
            self.restoreState(state)

    def _fit_on_screen(self) -> None:
        """A size saved on a bigger (or differently scaled) screen must not put the status
        bar off this one: shrink to the available area and move fully onto it, title bar
        and frame included."""
        available = self.screen().availableGeometry()
        frame = self.frameGeometry()
        extra_w, extra_h = frame.width() - self.width(), frame.height() - self.height()
        width = min(frame.width(), available.width())
        height = min(frame.height(), available.height())
        self.resize(width - extra_w, height - extra_h)
        x = min(max(frame.x(), available.left()), available.right() + 1 - width)
        y = min(max(frame.y(), available.top()), available.bottom() + 1 - height)
        self.move(x, y)  # move() places the frame's corner

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self._fit_on_screen()  # again now the frame's size is known

    def save_layout(self) -> None:
        if self.rest_built:
            self.history_tab.save_state(self.settings)
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/state", self.saveState())
        self.settings.setValue("window/tab", self.tabs.currentIndex())
        self.settings.sync()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.save_layout()
        self.shutdown()
        event.accept()

    def shutdown(self) -> None:
        """Stop the engine and the receiver and let background jobs finish: nothing is lost."""
        self.status.timer.stop()
        if self.rest_built:
            self.warning_timer.stop()
            self.hosted_refresh.timer.stop()
        if self.context.engine is not None:
            self.context.engine.stop()
        if self.context.receiver is not None:
            self.context.receiver.stop()
        wait_for_jobs()
