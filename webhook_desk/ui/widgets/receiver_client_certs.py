"""The Receiver tab's client-certificate row (mTLS): require one, from the local CA or a CA file
the user picks, and issue a client certificate from the local CA for a registration to present."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QMessageBox,
    QPushButton,
    QWidget,
)

from webhook_desk.local_tls import ClientCertificate, client_passphrase_key
from webhook_desk.ui.context import AppContext
from webhook_desk.ui.dialogs.message import show_error
from webhook_desk.ui.jobs import run_job
from webhook_desk.ui.preferences import remember


class ReceiverClientCertsRow(QWidget):
    def __init__(self, context: AppContext, parent=None):
        super().__init__(parent)
        self.context = context
        self.controller = context.receiver
        self.require = QCheckBox("Require a client certificate")
        self.require.setToolTip(
            "mTLS: a request without a client certificate is answered 403 (and kept in the "
            "inbox); one issued by another authority fails the TLS handshake"
        )
        self.require.setChecked(
            self.controller is not None and self.controller.require_client_certs
        )
        self.require.toggled.connect(self._require_toggled)
        self.authority = QLabel()
        self.choose_ca_button = QPushButton("Client CA…")
        self.choose_ca_button.setToolTip("Trust the client certificates a CA file (PEM) issued")
        self.choose_ca_button.clicked.connect(self.choose_client_ca)
        self.local_ca_button = QPushButton("Use the local CA")
        self.local_ca_button.clicked.connect(lambda: self._use_client_ca(None))
        self.issue_button = QPushButton("Issue client certificate…")
        self.issue_button.setToolTip(
            "A certificate and encrypted key from the app's local CA, for a registration to "
            "present; the key's passphrase is kept in the keyring"
        )
        self.issue_button.clicked.connect(self.issue_client_certificate)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        for widget in (self.require, self.authority, self.choose_ca_button, self.local_ca_button):
            row.addWidget(widget)
        row.addStretch(1)
        row.addWidget(self.issue_button)
        self.show_state(running=False)

    def show_state(self, running: bool) -> None:
        """Chosen before starting, and only over HTTPS."""
        controller = self.controller
        https = controller is not None and controller.https
        chosen = controller.client_ca if controller is not None else None
        self.require.setEnabled(https and not running)
        for widget in (self.authority, self.choose_ca_button, self.local_ca_button):
            widget.setEnabled(self.require.isChecked() and not running)
        self.local_ca_button.setVisible(chosen is not None)
        self.authority.setText(f"issued by {chosen.name}" if chosen else "issued by the local CA")
        self.authority.setToolTip(str(chosen) if chosen else "")

    def https_changed(self, on: bool) -> None:
        if not on:
            self.require.setChecked(False)  # client certificates exist only over TLS
        self.show_state(running=False)

    def _require_toggled(self, on: bool) -> None:
        if self.controller is not None:
            self.controller.require_client_certs = on
        remember(self.context.settings, receiver_client_certs=on)
        self.show_state(running=False)

    def choose_client_ca(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Trust client certificates issued by", "", "PEM (*.pem *.crt);;All files (*)"
        )
        if path:
            self._use_client_ca(Path(path))

    def _use_client_ca(self, path: Path | None) -> None:
        if self.controller is not None:
            self.controller.client_ca = path
        remember(self.context.settings, receiver_client_ca=str(path) if path else "")
        self.show_state(running=False)

    # --- issuing ------------------------------------------------------------------------

    def issue_client_certificate(self) -> None:
        if self.controller is None:
            return
        name, ok = QInputDialog.getText(
            self, "Issue a client certificate", "Name (its common name, and its files' name):"
        )
        if not ok:
            return
        folder = QFileDialog.getExistingDirectory(self, "Write the certificate and key to")
        if not folder:
            return
        ca = self.controller.local_ca
        run_job(
            lambda: ca.issue_client_certificate(name.strip(), Path(folder)),
            self._issued,
            lambda sentence: show_error(self, sentence),
        )

    def _issued(self, issued: ClientCertificate) -> None:
        self.issued_message = box = QMessageBox(self)
        box.setObjectName("issued_message")
        box.setWindowTitle("Client certificate issued")
        box.setText(
            f"Wrote {issued.cert_file} and its encrypted key {issued.key_file.name}. The key's "
            f"passphrase is in the keyring as '{client_passphrase_key(issued.name)}'."
        )
        copy = box.addButton("Copy passphrase", QMessageBox.ButtonRole.ActionRole)
        box.addButton(QMessageBox.StandardButton.Close)
        copy.clicked.connect(lambda: self._copy_passphrase(issued))
        box.open()

    def _copy_passphrase(self, issued: ClientCertificate) -> None:
        QGuiApplication.clipboard().setText(issued.passphrase)
        self.context.say("Passphrase copied: paste it where the key is asked for.")
