"""The user's preferences, kept in QSettings beside the window layout.

They take effect on the next start of what they govern (the database on the next launch,
the engine and receiver when they next start), so nothing changes under running work; the
hosted modules' refresh is rescheduled at once.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass, fields

from PySide6.QtCore import QSettings

from webhook_desk.engine.defaults import CONNECT_TIMEOUT_S, SIGNED_BY_DEFAULT, TOTAL_TIMEOUT_S
from webhook_desk.engine.retry import DEFAULT_SCHEDULE, parse_schedule
from webhook_desk.errors import UserError
from webhook_desk.settings import RECEIVER_DEFAULT_PORT

GROUP = "preferences"
log = logging.getLogger(__name__)


@dataclass
class Preferences:
    database_url: str = ""  # empty: --db, WEBHOOK_DESK_DB, or the user's SQLite file
    receiver_port: int = RECEIVER_DEFAULT_PORT
    receiver_https: bool = False  # the Receiver tab's choices, as last made there
    receiver_client_certs: bool = False
    receiver_client_ca: str = ""  # empty: the local CA
    engine_workers: int = 4
    connect_timeout_s: float = CONNECT_TIMEOUT_S
    total_timeout_s: float = TOTAL_TIMEOUT_S
    retry_schedule: str = DEFAULT_SCHEDULE  # for registrations without their own
    sign_validation: bool = SIGNED_BY_DEFAULT  # whether handshakes carry a signature
    hosted_refresh_minutes: int = 15  # pull the connected ECG modules again; 0: never

    @classmethod
    def load(cls, settings: QSettings) -> Preferences:
        values = {}
        for f in fields(cls):
            stored = settings.value(f"{GROUP}/{f.name}")
            if stored is not None:
                values[f.name] = _typed(f.default, stored)
        return cls(**values)

    def save(self, settings: QSettings) -> None:
        for f in fields(self):
            settings.setValue(f"{GROUP}/{f.name}", getattr(self, f.name))
        settings.sync()

    def engine_options(self) -> dict:
        """What the engine takes from the preferences."""
        return {
            "default_schedule": self.engine_schedule(),
            "sign_validation": self.sign_validation,
        }

    def engine_schedule(self) -> str | None:
        """The default retry schedule for the engine; None (the engine's own default) when
        the settings file was edited by hand into something unreadable: logged, not fatal."""
        try:
            parse_schedule(self.retry_schedule)
        except UserError as error:
            log.warning("retry schedule in the settings ignored: %s", error)
            return None
        return self.retry_schedule


def remember(settings: QSettings | None, **changes) -> None:
    """Keep choices the user makes outside the Settings dialog (the Receiver tab's HTTPS and
    client-certificate switches) for the next start."""
    if settings is not None:
        dataclasses.replace(Preferences.load(settings), **changes).save(settings)


def _typed(default, stored):
    """A stored value as its field's type; QSettings' ini files give booleans back as text."""
    if isinstance(default, bool):
        return stored in (True, "true", "1", 1)
    return type(default)(stored)
