"""Set or rotate the secret of a hosted ECG subscription: the user's own or a generated one, sent
once to the module and then kept only in the keyring."""

from __future__ import annotations

from typing import cast

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QLineEdit, QVBoxLayout

from webhook_desk.ui.dialogs.reason_dialog import ReasonDialog


class HostedSecretDialog(ReasonDialog):
    """`chosen(secret, reason)` on Send; an empty secret asks for a generated one."""

    chosen = Signal(str, str)

    def __init__(self, name: str, parent=None):
        super().__init__(
            "Set secret on the ECG module",
            f"A new signing secret for {name}: sent once to the ECG module (over HTTPS), then "
            "kept only in your keyring. The previous one stays valid for a grace period.",
            "Send to the module",
            parent,
        )
        self.secret = QLineEdit()
        self.secret.setEchoMode(QLineEdit.EchoMode.Password)
        self.secret.setPlaceholderText("New secret (blank: generate one)")
        cast(QVBoxLayout, self.layout()).insertWidget(1, self.secret)  # under the question
        self._typed = ""
        self.confirmed.connect(lambda reason: self.chosen.emit(self._typed, reason))

    def accept(self) -> None:
        self._typed = self.secret.text()  # done() clears the field before confirmed is sent
        super().accept()
        self._typed = ""

    def done(self, result: int) -> None:
        self.secret.clear()  # don't leave the value lying in a hidden widget
        super().done(result)
