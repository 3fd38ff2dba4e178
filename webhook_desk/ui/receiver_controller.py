"""The built-in receiver for the window: its capture callback becomes a Qt signal.

The receiver serves on its own thread and writes its inbox from another; `request_received`
is emitted from that writer thread and Qt queues it onto the GUI thread.
"""

from __future__ import annotations

from collections import deque
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from webhook_desk.local_tls import LocalCA
from webhook_desk.receiver.answers import ReceiverOptions
from webhook_desk.receiver.client_certs import ClientCertificateRule
from webhook_desk.receiver.inbox import Capture
from webhook_desk.receiver.server import Receiver
from webhook_desk.settings import RECEIVER_DEFAULT_HOST, RECEIVER_DEFAULT_PORT

CAPTURES_KEPT = 10_000


class ReceiverController(QObject):
    # Captures wait in a deque; the signal carries no Python object across threads (ui.jobs).
    request_received = Signal()
    state_changed = Signal(bool)
    handshake_refused = Signal()  # from the serving thread; Qt queues it onto the GUI's

    def __init__(self, db, store, parent=None):
        super().__init__(parent)
        self.captures: deque[Capture] = deque(maxlen=CAPTURES_KEPT)
        self._signalled = False
        self.receiver = Receiver(db, store, on_request=self._captured)
        self.receiver.handshakes.on_refused = lambda _refusal: self.handshake_refused.emit()
        self.local_ca = LocalCA(store=store)
        self.host = RECEIVER_DEFAULT_HOST
        self.port = RECEIVER_DEFAULT_PORT
        self.https = False  # serve with the local CA's localhost certificate
        self.require_client_certs = False  # mTLS, over HTTPS only
        self.client_ca: Path | None = None  # who issues them; None: the local CA

    def use_preferences(self, prefs) -> None:
        """Where and how to serve, as the user last chose (ui.preferences.Preferences)."""
        self.port = prefs.receiver_port
        self.https = prefs.receiver_https
        self.require_client_certs = prefs.receiver_client_certs
        self.client_ca = Path(prefs.receiver_client_ca) if prefs.receiver_client_ca else None

    def _captured(self, capture: Capture) -> None:
        self.captures.append(capture)
        if not self._signalled:  # one signal until the window takes them (see EngineThread)
            self._signalled = True
            self.request_received.emit()

    def take_captures(self) -> list[Capture]:
        """Requests captured since the last call, oldest first."""
        self._signalled = False
        taken = []
        while self.captures:
            taken.append(self.captures.popleft())
        return taken

    @property
    def is_running(self) -> bool:
        return self.receiver.running

    @property
    def url(self) -> str | None:
        return self.receiver.url

    @property
    def fingerprint(self) -> str | None:
        """The SHA-256 fingerprint of the certificate served, while serving HTTPS."""
        certificate = self.receiver.certificate
        return certificate.fingerprint if certificate else None

    @property
    def options(self) -> ReceiverOptions:
        return self.receiver.options

    def set_options(self, options: ReceiverOptions) -> None:
        """Change how it answers; a running receiver answers the next request this way."""
        options.check()
        self.receiver.options = options

    def start(self, port: int | None = None) -> None:
        """Start serving (raises UserError with the reason, e.g. the port is taken)."""
        if self.is_running:
            return
        self.port = self.port if port is None else port
        tls = self.local_ca.localhost_certificate() if self.https else None
        self.receiver.start(self.host, self.port, self.receiver.options, tls, self._client_rule())
        self.state_changed.emit(True)

    def _client_rule(self) -> ClientCertificateRule | None:
        if not self.require_client_certs:
            return None
        return ClientCertificateRule(self.client_ca or self.local_ca.certificate_file())

    def stop(self) -> None:
        if not self.is_running:
            return
        self.receiver.stop()
        self.state_changed.emit(False)

    def refresh_secrets(self) -> None:
        self.receiver.refresh_secrets()
