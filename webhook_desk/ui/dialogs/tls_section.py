"""The registration dialog's TLS section: the client certificate a registration presents (PEM
files or a PKCS#12 file, with the key's passphrase) and the CAs it trusts instead of the
system's, with what the chosen or saved certificates are (subject, issuer, expiry, fingerprint).

Nothing typed here is shown again: the key goes to the keyring when the dialog saves.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)

from webhook_desk import certificates
from webhook_desk.errors import UserError
from webhook_desk.services import registration_rules
from webhook_desk.services.registrations import TlsChange
from webhook_desk.ui.registration_detail import certificate_line
from webhook_desk.ui.widgets.grow_to_fit import grow_to_fit

PKCS12_SUFFIXES = (".p12", ".pfx")
CERTIFICATE_FILTER = "Certificates (*.pem *.crt *.cer *.p12 *.pfx);;All files (*)"


class TlsSection(QGroupBox):
    def __init__(self, existing: dict | None = None, parent=None):
        super().__init__("TLS", parent)
        self.existing = existing or {}
        self.certificate_file = self._path_field("client certificate: PEM, or PKCS#12 (.p12)")
        self.key_file = self._path_field("its key (PEM), if not in the certificate file")
        self.passphrase = QLineEdit()
        self.passphrase.setEchoMode(QLineEdit.EchoMode.Password)
        self.passphrase.setPlaceholderText("passphrase of the key or PKCS#12 file, if any")
        self.ca_bundle = self._path_field("CAs to trust instead of the system's (PEM)")
        self.no_client_certificate = QCheckBox("Present no client certificate")
        self.system_authorities = QCheckBox("Trust the system's CAs again")
        self.facts = QLabel()
        self.facts.setWordWrap(True)
        form = QFormLayout(self)
        form.addRow("Client certificate", self._with_button(self.certificate_file))
        form.addRow("Key", self._with_button(self.key_file))
        form.addRow("Passphrase", self.passphrase)
        form.addRow("Trusted CAs", self._with_button(self.ca_bundle))
        if self.existing.get("client_certificate"):
            form.addRow("", self.no_client_certificate)
        if self.existing.get("ca_bundle"):
            form.addRow("", self.system_authorities)
        form.addRow(self.facts)
        for field in (self.certificate_file, self.key_file, self.passphrase, self.ca_bundle):
            field.textChanged.connect(self.show_facts)
        self.show_facts()

    def _path_field(self, placeholder: str) -> QLineEdit:
        field = QLineEdit()
        field.setPlaceholderText(placeholder)
        return field

    def _with_button(self, field: QLineEdit) -> QWidget:
        choose = QPushButton("Choose…")
        choose.clicked.connect(lambda: self._choose(field))
        holder = QWidget()
        row = QHBoxLayout(holder)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(field, 1)
        row.addWidget(choose)
        return holder

    def _choose(self, field: QLineEdit) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Choose a file", "", CERTIFICATE_FILTER)
        if path:
            field.setText(path)

    # --- what the user chose --------------------------------------------------------------

    def client_files(self) -> certificates.ClientCertificateFiles | None:
        text = self.certificate_file.text().strip()
        if not text:
            return None
        passphrase = self.passphrase.text() or None
        if Path(text).suffix.lower() in PKCS12_SUFFIXES:
            return certificates.ClientCertificateFiles(
                pkcs12_file=Path(text), passphrase=passphrase
            )
        key = self.key_file.text().strip()
        return certificates.ClientCertificateFiles(
            Path(text), Path(key) if key else None, passphrase=passphrase
        )

    def change(self) -> TlsChange:
        bundle = self.ca_bundle.text().strip()
        return TlsChange(
            client=self.client_files(),
            remove_client=self.no_client_certificate.isChecked(),
            ca_bundle=Path(bundle) if bundle else None,
            remove_ca_bundle=self.system_authorities.isChecked(),
        )

    def problems(self) -> list[str]:
        change = self.change()
        if self.key_file.text().strip() and not change.client:
            return ["Choose the client certificate the key belongs to."]
        return registration_rules.certificate_problems(change.client, change.ca_bundle)

    # --- what the certificates are --------------------------------------------------------

    def show_facts(self) -> None:
        """The chosen certificates (else the saved ones), one line each."""
        lines = []
        client, bundle = self.client_files(), self.ca_bundle.text().strip()
        leaf = _chosen_leaf(client) if client else self.existing.get("client_certificate")
        if leaf:
            lines.append(certificate_line("Presents", leaf))
        authorities = _chosen_authorities(bundle) if bundle else self.existing.get("ca_bundle")
        lines += [certificate_line("Trusts", ca) for ca in authorities or []]
        self.facts.setText("\n".join(lines) or "No client certificate; the system's CAs.")
        if self.isVisible():
            grow_to_fit(self.window())  # a chosen certificate adds lines to a shown dialog


def _chosen_leaf(client: certificates.ClientCertificateFiles) -> dict | None:
    try:
        identity = certificates.read_identity(client)
    except UserError:
        return None  # the dialog's error line says why
    return certificates.facts(identity.certificate_pem)[0].as_dict()


def _chosen_authorities(bundle: str) -> list[dict]:
    try:
        return [f.as_dict() for f in certificates.facts(certificates.read_ca_bundle(Path(bundle)))]
    except UserError:
        return []
