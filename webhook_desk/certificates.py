"""The certificates a registration sends with: a client certificate and its key (PEM files or
a PKCS#12 file) and a bundle of authorities to trust, read into plain PEM text, and the facts
a user is shown of them (subject, issuer, expiry, fingerprint).

The key read here goes to the OS keyring and nowhere else; every failure is a UserError whose
sentence names the file, never the key or its passphrase.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12

from webhook_desk.errors import UserError
from webhook_desk.local_tls import fingerprint, public_key_der, read_bytes, read_certificates


class PassphraseNeeded(UserError):
    """The key or PKCS#12 file is locked and no passphrase was given."""


@dataclass(frozen=True)
class ClientCertificateFiles:
    """What a user gives: a certificate and a key (or one PEM file holding both), or PKCS#12."""

    cert_file: Path | None = None
    key_file: Path | None = None
    pkcs12_file: Path | None = None
    passphrase: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class ClientIdentity:
    """A certificate chain (leaf first, public) and its private key (unencrypted PKCS#8 PEM,
    for the keyring only)."""

    certificate_pem: str
    key_pem: str = field(repr=False)


@dataclass(frozen=True)
class CertificateFacts:
    subject: str
    issuer: str
    not_before: datetime
    not_after: datetime
    fingerprint: str

    def as_dict(self) -> dict:
        return {
            "subject": self.subject,
            "issuer": self.issuer,
            "not_before": self.not_before.isoformat(),
            "not_after": self.not_after.isoformat(),
            "fingerprint": self.fingerprint,
        }


def read_identity(given: ClientCertificateFiles) -> ClientIdentity:
    """The certificate and key in `given`; a UserError with one sentence when they cannot be
    read, do not belong together, or the passphrase is wrong."""
    if given.pkcs12_file:
        return _from_pkcs12(given.pkcs12_file, given.passphrase)
    if not given.cert_file:
        raise UserError("Choose a client certificate file (PEM) or a PKCS#12 file.")
    chain = read_certificates(given.cert_file)
    key_file = given.key_file or given.cert_file
    key = _pem_key(key_file, given.passphrase)
    return _identity(chain, key, key_file)


def needs_passphrase(given: ClientCertificateFiles) -> bool:
    """Whether `given` can be read only with a passphrase it lacks (to ask for one)."""
    try:
        read_identity(given)
    except PassphraseNeeded:
        return True
    except UserError:
        return False  # another problem: the rules say which
    return False


def read_ca_bundle(path: Path) -> str:
    """The PEM certificates in `path`, as text to store (they are public)."""
    chain = read_certificates(path)
    return "".join(c.public_bytes(serialization.Encoding.PEM).decode("ascii") for c in chain)


def facts(pem: str) -> list[CertificateFacts]:
    """What a user is shown of each certificate in `pem`, in order (none for no text)."""
    if not pem:
        return []
    return [
        CertificateFacts(
            subject=c.subject.rfc4514_string(),
            issuer=c.issuer.rfc4514_string(),
            not_before=c.not_valid_before_utc,
            not_after=c.not_valid_after_utc,
            fingerprint=fingerprint(c),
        )
        for c in x509.load_pem_x509_certificates(pem.encode("ascii"))
    ]


def kept_facts(client_certificate: str | None, ca_bundle: str | None) -> str | None:
    """The facts kept beside a registration's certificates (JSON; None without any), from
    which certificate_expiry shows them and warns without loading cryptography."""
    if not (client_certificate or ca_bundle):
        return None
    leaf = next(iter(facts(client_certificate or "")), None)
    bundle = facts(ca_bundle or "")
    return json.dumps(
        {
            "client_certificate": leaf.as_dict() if leaf else None,
            "ca_bundle": [f.as_dict() for f in bundle] or None,
        }
    )


def _identity(chain: list[x509.Certificate], key, key_file: Path) -> ClientIdentity:
    if public_key_der(key) != public_key_der(chain[0]):
        raise UserError(f"The key in {key_file} does not belong to the client certificate.")
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    certificate_pem = b"".join(c.public_bytes(serialization.Encoding.PEM) for c in chain)
    return ClientIdentity(certificate_pem.decode("ascii"), key_pem.decode("ascii"))


def _from_pkcs12(path: Path, passphrase: str | None) -> ClientIdentity:
    data = read_bytes(path)
    try:
        key, leaf, extra = pkcs12.load_key_and_certificates(
            data, passphrase.encode() if passphrase else None
        )
    except ValueError:
        if not data.startswith(b"\x30"):  # not even DER: no passphrase would open it
            raise UserError(f"{path} is not a PKCS#12 file.") from None
        if not passphrase:
            raise PassphraseNeeded(f"{path} is protected by a passphrase: give it.") from None
        raise UserError(f"The passphrase for {path} is wrong.") from None
    if key is None or leaf is None:
        raise UserError(f"{path} does not hold both a certificate and its private key.")
    return _identity([leaf, *extra], key, path)


def _pem_key(path: Path, passphrase: str | None):
    data = read_bytes(path)
    try:
        return serialization.load_pem_private_key(data, passphrase.encode() if passphrase else None)
    except TypeError:  # encrypted without a passphrase, or a passphrase for a plain key
        if passphrase:
            return _pem_key(path, None)
        raise PassphraseNeeded(f"The key {path} is protected by a passphrase: give it.") from None
    except ValueError:
        # A wrong passphrase usually fails the decryption's padding check, but now and then
        # (about 1 in 256) it decrypts to bytes that then fail to parse as a key: for an
        # encrypted key, either way the passphrase is what is wrong.
        if passphrase and b"ENCRYPTED" in data:
            raise UserError(f"The passphrase for the key {path} is wrong.") from None
        raise UserError(f"{path} holds no PEM private key.") from None
