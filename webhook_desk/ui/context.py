"""What every tab shares: the database, the secret store, the running services, change news.

Tabs never talk to each other directly: a tab that changes data announces it here and the
others refresh themselves.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from webhook_desk.ui.jobs import run_query

if TYPE_CHECKING:
    from webhook_desk.db import Database
    from webhook_desk.secrets import SecretStore
    from webhook_desk.services.identifying import Masking


class AppContext(QObject):
    registrations_changed = Signal()
    deliveries_changed = Signal()
    status_message = Signal(str)
    masking_changed = Signal()  # identifying values are now shown by `masking`

    def __init__(
        self,
        db: Database | None = None,
        store: SecretStore | None = None,
        parent=None,
        url: str | None = None,
    ):
        """`db`, or the `url` of one that is opened on first use: a deferred start paints
        before SQLAlchemy, keyring and the rest are imported (issue 15)."""
        super().__init__(parent)
        self._db, self._url, self._store = db, url, store
        self.engine = None  # ui.engine_thread.EngineThread, once started
        self.receiver = None  # ui.receiver_controller.ReceiverController
        self.settings = None  # the window's QSettings: choices dialogs remember
        self._masking: Masking | None = None  # masked until the database says otherwise

    @property
    def db(self) -> Database:
        if self._db is None:
            self._db = open_database(self._url or "")
        return self._db

    @property
    def is_open(self) -> bool:
        """Whether the database is open (a deferred start opens it after the first paint)."""
        return self._db is not None

    @property
    def store(self) -> SecretStore:
        if self._store is None:
            from webhook_desk.secrets import SecretStore

            self._store = SecretStore()
        return self._store

    @property
    def masking(self) -> Masking:
        if self._masking is None:
            from webhook_desk.services.identifying import Masking

            self._masking = Masking()
        return self._masking

    def load_masking(self) -> None:
        """Read the masking rule (Settings) off the GUI thread; tabs hear masking_changed."""
        from webhook_desk.services import identifying

        run_query(self.db, identifying.masking, self._masking_loaded, self.say)

    def _masking_loaded(self, masking: Masking) -> None:
        self._masking = masking
        self.masking_changed.emit()

    def say(self, sentence: str) -> None:
        """Show a short note in the status bar."""
        self.status_message.emit(sentence)


def open_database(url: str) -> Database:
    """Open (and migrate) the database and make sure the event catalog is loaded."""
    from webhook_desk.db import Database
    from webhook_desk.services.catalog import sync_catalog

    db = Database.open(url)
    with db.session() as session:
        sync_catalog(session)
    return db
