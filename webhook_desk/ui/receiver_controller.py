"""The built-in receiver for the window: its capture callback becomes a Qt signal.

The receiver serves on its own thread and writes its inbox from another; `request_received`
is emitted from that writer thread and Qt queues it onto the GUI thread.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from webhook_desk.receiver import Receiver, ReceiverOptions
from webhook_desk.settings import RECEIVER_DEFAULT_HOST, RECEIVER_DEFAULT_PORT


class ReceiverController(QObject):
    request_received = Signal(object)  # receiver.Capture, already in the inbox
    state_changed = Signal(bool)

    def __init__(self, db, store, parent=None):
        super().__init__(parent)
        self.receiver = Receiver(db, store, on_request=self.request_received.emit)
        self.host = RECEIVER_DEFAULT_HOST
        self.port = RECEIVER_DEFAULT_PORT

    @property
    def is_running(self) -> bool:
        return self.receiver.running

    @property
    def url(self) -> str | None:
        return self.receiver.url

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
        self.receiver.start(self.host, self.port, self.receiver.options)
        self.state_changed.emit(True)

    def stop(self) -> None:
        if not self.is_running:
            return
        self.receiver.stop()
        self.state_changed.emit(False)

    def refresh_secrets(self) -> None:
        self.receiver.refresh_secrets()
