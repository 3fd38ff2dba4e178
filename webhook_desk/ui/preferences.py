"""The user's preferences, kept in QSettings beside the window layout.

They take effect on the next start of what they govern (the database on the next launch,
the engine and receiver when they next start), so nothing changes under running work.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from PySide6.QtCore import QSettings

from webhook_desk.engine.sender import CONNECT_TIMEOUT_S, TOTAL_TIMEOUT_S
from webhook_desk.settings import RECEIVER_DEFAULT_PORT

GROUP = "preferences"


@dataclass
class Preferences:
    database_url: str = ""  # empty: --db, WEBHOOK_DESK_DB, or the user's SQLite file
    receiver_port: int = RECEIVER_DEFAULT_PORT
    engine_workers: int = 4
    connect_timeout_s: float = CONNECT_TIMEOUT_S
    total_timeout_s: float = TOTAL_TIMEOUT_S

    @classmethod
    def load(cls, settings: QSettings) -> Preferences:
        values = {}
        for f in fields(cls):
            stored = settings.value(f"{GROUP}/{f.name}")
            if stored is not None:
                values[f.name] = type(f.default)(stored)
        return cls(**values)

    def save(self, settings: QSettings) -> None:
        for f in fields(self):
            settings.setValue(f"{GROUP}/{f.name}", getattr(self, f.name))
        settings.sync()
