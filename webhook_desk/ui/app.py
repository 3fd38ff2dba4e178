"""Starting the GUI: `webhook-desk` with no verb lands here."""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Callable
from importlib import import_module

from PySide6.QtCore import QCoreApplication, Qt, QTimer
from PySide6.QtGui import QColor, QFont, QPainter, QPixmap
from PySide6.QtWidgets import QApplication, QLabel, QMessageBox

from webhook_desk import __version__
from webhook_desk.errors import UserError
from webhook_desk.settings import APP_NAME, DB_ENV_VAR, resolve_db_url
from webhook_desk.ui.icons import icon
from webhook_desk.ui.jobs import run_job, wait_for_jobs
from webhook_desk.ui.wording import for_window

# Only Qt and light modules are imported up here: the splash must show before SQLAlchemy,
# Alembic, aiohttp and the rest load (about a second on a cold start).

GUI_SWITCH_INTERVAL_S = 0.001
SPLASH_SIZE = (420, 150)
SPLASH_ALIGN = Qt.AlignmentFlag.AlignBottom | Qt.AlignmentFlag.AlignHCenter


def make_application(argv: list[str] | None = None) -> QApplication:
    """The one QApplication, named so that QSettings finds the same place every start."""
    # The engine, the receiver and background jobs are Python threads that want the GIL too;
    # a shorter switch interval lets the GUI thread have it back sooner (p99 stall ~25 -> ~15 ms
    # in benchmarks/gui_responsiveness.py), for a few percent of delivery throughput.
    sys.setswitchinterval(GUI_SWITCH_INTERVAL_S)
    QCoreApplication.setOrganizationName(APP_NAME)
    QCoreApplication.setApplicationName(APP_NAME)
    QCoreApplication.setApplicationVersion(__version__)
    app = QApplication.instance() or QApplication(argv or [sys.argv[0]])
    app.setApplicationDisplayName("Webhook Desk")
    app.setWindowIcon(icon("app"))
    app.setDesktopFileName(APP_NAME)
    return app


def freeze_startup_objects() -> None:
    """Exempt everything built at start-up (modules, Qt wrappers, mappers) from the garbage
    collector: a full collection over those ~150k objects stops every thread for ~100 ms,
    the worst stall the window had while the engine delivered. Only the young generations
    are collected first: a full collection here would be that same stall, right after the
    first paint; what little start-up garbage reached the oldest generation stays frozen."""
    gc.collect(1)
    gc.freeze()


def database_url(explicit: str | None) -> str:
    """--db first, then WEBHOOK_DESK_DB, then the Settings dialog's choice, then the default."""
    from PySide6.QtCore import QSettings

    from webhook_desk.ui.preferences import Preferences

    if explicit or os.environ.get(DB_ENV_VAR):
        return resolve_db_url(explicit)
    return Preferences.load(QSettings()).database_url or resolve_db_url(None)


class Splash(QLabel):
    """The app's icon and a line saying what is happening, while the heavy parts load.

    A plain frameless label rather than QSplashScreen, which waits up to a second for the
    window system to confirm the splash is visible before returning.
    """

    def __init__(self):
        super().__init__(None, Qt.WindowType.SplashScreen | Qt.WindowType.FramelessWindowHint)
        self.pixmap_ = QPixmap(*SPLASH_SIZE)
        self.pixmap_.fill(QColor("#f5f7fa"))
        painter = QPainter(self.pixmap_)
        icon("app").paint(painter, 24, 20, 96, 96)
        painter.setPen(QColor("#1b4f7a"))
        font = QFont()
        font.setPointSize(20)
        font.setBold(True)
        painter.setFont(font)
        painter.drawText(140, 80, "Webhook Desk")
        painter.end()
        self.setPixmap(self.pixmap_)

    def say(self, text: str) -> None:
        pixmap = QPixmap(self.pixmap_)
        painter = QPainter(pixmap)
        painter.setPen(QColor("#374151"))
        painter.drawText(pixmap.rect().adjusted(0, 0, 0, -14), SPLASH_ALIGN, text)
        painter.end()
        self.setPixmap(pixmap)
        QApplication.processEvents()


def show_splash(app: QApplication) -> Splash:
    splash = Splash()
    splash.show()
    splash.say("Opening the database…")
    return splash


def open_window(url: str, splash: Splash | None = None, deferred: bool = False):
    """Open the database and show the main window over it (raises UserError). `deferred`:
    the window first paints with the Registrations tab's rows; `finish_start` builds the rest.

    A deferred start whose rows a previous start's statements can read with stdlib sqlite3
    (services/registration_rows.py) paints before SQLAlchemy is even imported, and opens the
    database after that paint.
    """
    from webhook_desk.services.registration_rows import cached_tab_rows
    from webhook_desk.ui.context import AppContext, open_database

    rows = cached_tab_rows(url) if deferred else None
    if not deferred:  # the tabs' first queries start at once, beside the rest being built
        preload()
    context = AppContext(url=url) if rows is not None else AppContext(open_database(url))
    if splash is not None:
        splash.say("Building the window…")
    from webhook_desk.ui.main_window import MainWindow

    window = MainWindow(context, deferred=deferred, first_rows=rows)
    window.show()
    if splash is not None:
        splash.close()
    if deferred:
        # Rows not read ahead come from a background query: let it answer and the window
        # paint them, so the first picture has the data, before anything else is built.
        wait_for_jobs()
        QApplication.processEvents()
    else:
        freeze_startup_objects()
    return window


# What the rest of the window needs that has no Qt in it: imported off the GUI thread while
# the database opens, so that building the rest stalls the window less.
PRELOADED = (
    "webhook_desk.engine.worker",
    "webhook_desk.history.export",
    "webhook_desk.history.queries",
    "webhook_desk.history.trends",
    "webhook_desk.receiver.server",
    "webhook_desk.services.catalog",
    "webhook_desk.services.catalog_edits",
    "webhook_desk.services.delivery_detail",
    "webhook_desk.services.request_diff",
    "webhook_desk.services.registration_list",
)


def preload() -> None:
    """Import PRELOADED, all in this one thread. Two threads importing the same modules at
    once (the Registrations tab's query and the GUI thread building the engine) can each
    wait on a module the other holds; Python then hands one a half-made module and the
    import fails ("partially initialized module 'requests.utils'")."""
    for name in PRELOADED:
        import_module(name)


def finish_start(window, done: Callable[[], None] | None = None) -> None:
    """After the first paint, in steps with the event loop running between them: open the
    database (if the paint did without it) and import what has no Qt in it, off the GUI
    thread; read the rows again the usual way; the other tabs, the engine and the receiver,
    one part at a time; last the start-up objects are frozen out of the garbage collector's
    way. `done` after."""
    context = window.context
    steps = [] if context.is_open else [window.registrations_tab.refresh]
    steps += [*window.rest_steps(), window.start_delivering, freeze_startup_objects]
    steps.append(done or (lambda: None))

    def next_step(*_args) -> None:
        steps.pop(0)()
        if steps:
            QTimer.singleShot(0, next_step)

    def prepare() -> None:
        context.db  # noqa: B018 (opens it)
        preload()

    run_job(prepare, next_step, lambda sentence: _cannot_open(window, sentence))


def _cannot_open(window, sentence: str) -> None:
    QMessageBox.critical(window, "Webhook Desk", sentence)
    window.close()


def run_gui(db_url: str | None, self_test: bool = False) -> int:
    """Open the main window on the database (`--db`, WEBHOOK_DESK_DB, or the user's file).

    With self_test the window opens offscreen, checks what it stands on, and closes.
    """
    if self_test:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    app = make_application()
    splash = None if self_test else show_splash(app)
    try:
        window = open_window(database_url(db_url), splash, deferred=not self_test)
    except UserError as error:
        if splash is not None:
            splash.close()
        if self_test:
            print(f"webhook-desk: self-test failed: {error}", file=sys.stderr)
        else:
            QMessageBox.critical(None, "Webhook Desk", for_window(error))
        return 1
    db = window.context.db
    if self_test:
        from webhook_desk.ui.self_test import run_self_test

        return run_self_test(app, window)
    QTimer.singleShot(0, lambda: finish_start(window))
    code = app.exec()
    db.dispose()
    return code
