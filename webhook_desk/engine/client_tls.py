"""What a registration's TLS connections present and trust: its client certificate (the key
read from the keyring for a batch, in memory only) and its own authorities instead of the
system's, made into an ssl.SSLContext the sender connects with."""

from __future__ import annotations

import hashlib
import os
import secrets
import ssl
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import serialization
from requests.utils import DEFAULT_CA_BUNDLE_PATH
from sqlalchemy.orm import Session

from webhook_desk.db.models import Registration
from webhook_desk.engine.bookkeeping import Bookkeeping
from webhook_desk.errors import UserError
from webhook_desk.local_tls import trusted_ca_for

CLIENT_KEY = "client-key"  # the secret kind of a client certificate's private key


@dataclass(frozen=True)
class ClientTls:
    """A registration's TLS settings; the default (nothing set) connects as requests does."""

    certificate_pem: str | None = None
    key_pem: str | None = field(default=None, repr=False)
    ca_bundle: str | None = None
    problem: str | None = None  # why the key could not be loaded, if it could not

    @property
    def is_default(self) -> bool:
        return not (self.certificate_pem or self.ca_bundle or self.problem)

    def presents_to(self, url: str) -> bool:
        """Whether a client certificate goes with a request to `url` (only https has TLS)."""
        return bool(self.certificate_pem) and urlsplit(url).scheme == "https"

    def profile(self, url: str) -> str:
        """One name for everything that makes this TLS differ, to share a context by."""
        parts = (self.certificate_pem, self.key_pem, self.ca_bundle, str(trusted_ca_for(url)))
        return hashlib.sha256(repr(parts).encode()).hexdigest()


NO_TLS = ClientTls()


def load_tls(session: Session, book: Bookkeeping, reg: Registration | None) -> ClientTls:
    """The registration's client certificate (key from the keyring) and CA bundle; a keyring
    problem becomes `problem`, so its deliveries fail with the sentence instead of going
    out without the certificate the endpoint expects."""
    if reg is None or not (reg.client_certificate or reg.ca_bundle):
        return NO_TLS
    key = None
    if reg.client_certificate:
        try:
            key = book.credential(session, reg, CLIENT_KEY)
        except UserError as error:
            return ClientTls(problem=f"The client certificate's key cannot be used: {error}")
    return ClientTls(reg.client_certificate, key, reg.ca_bundle)


def ssl_context(tls: ClientTls, url: str) -> ssl.SSLContext:
    """Trust the registration's bundle (else the authorities requests trusts), plus the local
    CA for the built-in receiver's addresses; present the client certificate if there is one."""
    if tls.ca_bundle:
        context = ssl.create_default_context(cadata=tls.ca_bundle)
    else:
        context = ssl.create_default_context(cafile=DEFAULT_CA_BUNDLE_PATH)
    local_ca = trusted_ca_for(url)
    if local_ca:
        context.load_verify_locations(cafile=str(local_ca))
    if tls.certificate_pem and tls.key_pem:
        _load_identity(context, tls.certificate_pem, tls.key_pem)
    return context


def _load_identity(context: ssl.SSLContext, certificate_pem: str, key_pem: str) -> None:
    """OpenSSL loads a key only from a file: it is written there encrypted with a password that
    lives only in this call's memory, and removed as soon as it is loaded."""
    password = secrets.token_urlsafe(32)
    key = serialization.load_pem_private_key(key_pem.encode("ascii"), None)
    encrypted = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(password.encode()),
    )
    with tempfile.TemporaryDirectory(prefix="webhook-desk-tls-") as folder:
        cert_file, key_file = Path(folder, "chain.pem"), Path(folder, "key.pem")
        cert_file.write_text(certificate_pem, encoding="ascii")
        descriptor = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(encrypted)
        context.load_cert_chain(cert_file, key_file, password)
