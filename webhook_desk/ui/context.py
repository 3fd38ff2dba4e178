"""What every tab shares: the database, the secret store, the running services, change news.

Tabs never talk to each other directly: a tab that changes data announces it here and the
others refresh themselves.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from webhook_desk.db import Database
from webhook_desk.secrets import SecretStore
from webhook_desk.services import identifying
from webhook_desk.services.identifying import Masking
from webhook_desk.ui.jobs import run_query


class AppContext(QObject):
    registrations_changed = Signal()
    deliveries_changed = Signal()
    status_message = Signal(str)
    masking_changed = Signal()  # identifying values are now shown by `masking`

    def __init__(self, db: Database, store: SecretStore | None = None, parent=None):
        super().__init__(parent)
        self.db = db
        self.store = store or SecretStore()
        self.engine = None  # ui.engine_thread.EngineThread, once started
        self.receiver = None  # ui.receiver_controller.ReceiverController
        self.settings = None  # the window's QSettings: choices dialogs remember
        self.masking = Masking()  # masked until the database says otherwise

    def load_masking(self) -> None:
        """Read the masking rule (Settings) off the GUI thread; tabs hear masking_changed."""
        run_query(self.db, identifying.masking, self._masking_loaded, self.say)

    def _masking_loaded(self, masking: Masking) -> None:
        self.masking = masking
        self.masking_changed.emit()

    def say(self, sentence: str) -> None:
        """Show a short note in the status bar."""
        self.status_message.emit(sentence)
