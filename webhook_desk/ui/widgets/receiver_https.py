"""The Receiver tab's HTTPS row: serve with the local CA's localhost certificate, see the
fingerprint of what is served, and export the CA's certificate for other clients to trust."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QFileDialog, QHBoxLayout, QLineEdit, QPushButton, QWidget

from webhook_desk.errors import UserError
from webhook_desk.ui.context import AppContext
from webhook_desk.ui.dialogs.message import show_error
from webhook_desk.ui.preferences import remember
from webhook_desk.ui.wording import for_window


class ReceiverHttpsRow(QWidget):
    def __init__(self, context: AppContext, parent=None):
        super().__init__(parent)
        self.context = context
        self.https = QCheckBox("HTTPS")
        self.https.setToolTip(
            "Serve HTTPS with a certificate for localhost from the app's own CA, which "
            "deliveries from this app trust"
        )
        self.https.setChecked(context.receiver is not None and context.receiver.https)
        self.https.toggled.connect(self._toggled)
        # A field, not a label: 95 characters would set the row's (and the window's) minimum
        # width; here it scrolls, and can be selected and copied whole.
        self.fingerprint = QLineEdit(readOnly=True, frame=False)
        self.fingerprint.setStyleSheet("QLineEdit { background: transparent; }")  # reads as text
        self.fingerprint.setMinimumWidth(120)
        self.fingerprint.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.export_ca_button = QPushButton("Export CA certificate…")
        self.export_ca_button.clicked.connect(self.export_ca_certificate)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.https)
        row.addWidget(self.fingerprint, 1)
        row.addStretch(0)  # holds the button right while the fingerprint is hidden
        row.addWidget(self.export_ca_button)

    def _toggled(self, on: bool) -> None:
        if self.context.receiver is not None:
            self.context.receiver.https = on
        remember(self.context.settings, receiver_https=on)

    def show_state(self, running: bool) -> None:
        """Chosen before starting, like the port; the fingerprint of what is being served."""
        controller = self.context.receiver
        self.https.setEnabled(not running)
        fingerprint = controller.fingerprint if running and controller else None
        self.fingerprint.setText(f"SHA-256 fingerprint: {fingerprint}" if fingerprint else "")
        self.fingerprint.setCursorPosition(0)
        self.fingerprint.setToolTip(self.fingerprint.text())
        self.fingerprint.setVisible(fingerprint is not None)

    def export_ca_certificate(self) -> None:
        controller = self.context.receiver
        path, _ = QFileDialog.getSaveFileName(
            self, "Export the local CA certificate", "webhook-desk-ca.pem", "PEM (*.pem *.crt)"
        )
        if not path or controller is None:
            return
        try:
            controller.local_ca.export_certificate(Path(path))
        except UserError as error:
            show_error(self, for_window(error))
            return
        self.context.say(f"CA certificate exported to {path}.")
