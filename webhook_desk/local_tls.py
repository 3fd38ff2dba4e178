"""The app's own certificate authority, made on first use, and the certificate it issues for
this machine's loopback names, so the built-in receiver can serve HTTPS that the engine trusts;
it also issues client certificates, so a registration can present one the receiver trusts.

The files live in the data directory's `tls` folder; both private keys are written owner-only
and encrypted with one passphrase that lives in the OS keyring, never beside them.
"""

from __future__ import annotations

import ipaddress
import os
import re
import secrets
import shutil
import ssl
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from webhook_desk.errors import NotFound, UserError
from webhook_desk.secrets import SecretStore
from webhook_desk.settings import data_dir

PASSPHRASE_KEY = "tls/local-ca-passphrase"
CA_NAME = "webhook-desk local CA"
CA_DAYS = 3650
SERVER_DAYS = 397  # the longest a browser accepts for a server certificate
RENEW_BEFORE = timedelta(days=30)
LOOPBACK_NAMES = ("localhost",)
LOOPBACK_ADDRESSES = ("127.0.0.1", "::1")


def tls_dir() -> Path:
    return data_dir() / "tls"


def ca_certificate_path(directory: Path | None = None) -> Path:
    """The local CA's certificate (public): what the engine trusts and the user may export."""
    return (directory or tls_dir()) / "ca.pem"


def trusted_ca_for(url: str, directory: Path | None = None) -> Path | None:
    """The local CA's certificate for an https URL to this machine's loopback names (where the
    built-in receiver serves), once the CA exists; None for any other URL."""
    parts = urlsplit(url)
    path = ca_certificate_path(directory)
    if parts.scheme != "https" or not _is_loopback(parts.hostname or ""):
        return None
    return path if path.exists() else None


def _is_loopback(host: str) -> bool:
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def fingerprint(certificate: x509.Certificate) -> str:
    """SHA-256 over the certificate, as browsers and `openssl x509 -fingerprint` show it."""
    return certificate.fingerprint(hashes.SHA256()).hex(":").upper()


@dataclass(frozen=True)
class ServingCertificate:
    """A certificate and key to serve HTTPS with; `password` unlocks an encrypted key."""

    cert_file: Path
    key_file: Path
    password: str | None = None

    @property
    def fingerprint(self) -> str:
        return fingerprint(_first_certificate(self.cert_file))

    def server_context(self) -> ssl.SSLContext:
        """A TLS server context, or one sentence saying why these files cannot serve."""
        self._check_pair()
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        try:
            # A callable, so an encrypted key without a password fails instead of prompting.
            context.load_cert_chain(self.cert_file, self.key_file, lambda: self.password or "")
        except ssl.SSLError as error:
            raise UserError(
                f"Cannot serve HTTPS with the certificate {self.cert_file} and the key "
                f"{self.key_file}: {error}."
            ) from None
        return context

    def _check_pair(self) -> None:
        """OpenSSL says only "PEM lib" for most mistakes; these sentences say which one."""
        certificate = _first_certificate(self.cert_file)
        password = self.password.encode() if self.password else None
        try:
            key = serialization.load_pem_private_key(read_bytes(self.key_file), password)
        except TypeError:
            raise UserError(
                f"The key {self.key_file} is encrypted: give one without a passphrase."
            ) from None
        except ValueError:
            raise UserError(f"{self.key_file} is not a PEM private key.") from None
        if public_key_der(key) != public_key_der(certificate):
            raise UserError(
                f"The key {self.key_file} does not belong to the certificate {self.cert_file}."
            )


def public_key_der(owner) -> bytes:
    return owner.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise UserError(f"Cannot read {path}: {error.strerror}.") from None


def _first_certificate(path: Path) -> x509.Certificate:
    return read_certificates(path)[0]


def read_certificates(path: Path) -> list[x509.Certificate]:
    """Every certificate of a PEM file (a bundle of CAs, say), or one sentence why not."""
    try:
        return x509.load_pem_x509_certificates(read_bytes(path))
    except ValueError:
        raise UserError(f"{path} is not a PEM certificate.") from None


CLIENT_NAME = re.compile(r"[A-Za-z0-9._-]{1,64}")


def check_client_name(name: str) -> None:
    """A client certificate's name is also its files' name: no paths, spaces or dots alone."""
    if not CLIENT_NAME.fullmatch(name) or set(name) == {"."}:
        raise UserError(
            f"'{name}' cannot name a client certificate: use 1 to 64 letters, digits, '.', '_' "
            "or '-' (it names the files too)."
        )


def _client_files(name: str, folder: Path) -> tuple[Path, Path]:
    check_client_name(name)
    if not folder.is_dir():
        raise UserError(f"Cannot write to {folder}: it is not a folder.")
    files = (folder / f"{name}.pem", folder / f"{name}-key.pem")
    for path in files:
        if path.exists():
            raise UserError(f"{path} exists already: choose another name or folder.")
    return files


def client_passphrase_key(name: str) -> str:
    """Where the keyring keeps the passphrase of the client certificate `name`'s key."""
    return f"tls/client-key/{name}"


@dataclass(frozen=True)
class ClientCertificate:
    """A client certificate the local CA issued; `passphrase` unlocks its key file."""

    cert_file: Path
    key_file: Path
    name: str
    passphrase: str

    @property
    def fingerprint(self) -> str:
        return fingerprint(_first_certificate(self.cert_file))


class LocalCA:
    """The CA in `directory` (the data directory's `tls` folder by default), made on first use."""

    def __init__(self, directory: Path | None = None, store: SecretStore | None = None):
        self._directory = directory
        self.store = store or SecretStore()

    @property
    def directory(self) -> Path:
        return self._directory or tls_dir()  # read when used: the data directory may move

    @property
    def certificate_path(self) -> Path:
        return ca_certificate_path(self.directory)

    def localhost_certificate(self) -> ServingCertificate:
        """The certificate for localhost, 127.0.0.1 and ::1, issued (again) when missing,
        within 30 days of expiry, or issued by a CA other than the current one."""
        passphrase = self._passphrase()
        ca_cert, ca_key = self._ca(passphrase)
        serving = ServingCertificate(
            self.directory / "localhost.pem", self.directory / "localhost-key.pem", passphrase
        )
        if not _still_good(serving.cert_file, ca_cert):
            key = ec.generate_private_key(ec.SECP256R1())
            _write_key(serving.key_file, key, passphrase)
            _write_public(serving.cert_file, _issue_localhost(ca_cert, ca_key, key))
        return serving

    def certificate_file(self) -> Path:
        """The CA's certificate, made now if need be: what a receiver trusts for mTLS."""
        self._ca(self._passphrase())
        return self.certificate_path

    def issue_client_certificate(self, name: str, folder: Path) -> ClientCertificate:
        """A client certificate (CN=`name`) and its key, written to `folder` as NAME.pem and
        NAME-key.pem; the key is encrypted with a new passphrase kept in the keyring under
        `client_passphrase_key(name)`. Existing files are never overwritten."""
        cert_file, key_file = _client_files(name, folder)
        ca_cert, ca_key = self._ca(self._passphrase())
        key = ec.generate_private_key(ec.SECP256R1())
        certificate = _leaf(ca_cert, key, name, ExtendedKeyUsageOID.CLIENT_AUTH)
        passphrase = secrets.token_urlsafe(24)
        self.store.put(client_passphrase_key(name), passphrase)
        _write_key(key_file, key, passphrase)
        _write_public(cert_file, certificate.sign(ca_key, hashes.SHA256()))
        return ClientCertificate(cert_file, key_file, name, passphrase)

    def export_certificate(self, destination: Path) -> None:
        """Copy the CA's certificate (made now if need be) for a browser or a client to trust."""
        self._ca(self._passphrase())
        try:
            shutil.copyfile(self.certificate_path, destination)
        except OSError as error:
            raise UserError(f"Cannot write {destination}: {error.strerror}.") from None

    def _passphrase(self) -> str:
        try:
            return self.store.get(PASSPHRASE_KEY)
        except NotFound:
            if self.certificate_path.exists():
                raise UserError(
                    f"The local CA's passphrase is missing from the keyring "
                    f"({self.store.backend}), so its key cannot be used; delete "
                    f"{self.directory} to have a new CA made (export its certificate again)."
                ) from None
        passphrase = secrets.token_urlsafe(32)
        self.store.put(PASSPHRASE_KEY, passphrase)
        return passphrase

    def _ca(self, passphrase: str) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
        key_file = self.directory / "ca-key.pem"
        if self.certificate_path.exists():
            key = serialization.load_pem_private_key(key_file.read_bytes(), passphrase.encode())
            return _first_certificate(self.certificate_path), key  # type: ignore[return-value]
        self.directory.mkdir(parents=True, exist_ok=True)
        os.chmod(self.directory, 0o700)
        key = ec.generate_private_key(ec.SECP256R1())
        certificate = _self_signed_ca(key)
        _write_key(key_file, key, passphrase)
        _write_public(self.certificate_path, certificate)  # last: its presence means "made"
        return certificate, key


def _still_good(cert_file: Path, ca_cert: x509.Certificate) -> bool:
    if not cert_file.exists():
        return False
    certificate = _first_certificate(cert_file)
    fresh = certificate.not_valid_after_utc - RENEW_BEFORE > datetime.now(UTC)
    return fresh and certificate.issuer == ca_cert.subject and _signed_by(certificate, ca_cert)


def _signed_by(certificate: x509.Certificate, ca_cert: x509.Certificate) -> bool:
    try:
        certificate.verify_directly_issued_by(ca_cert)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _builder(subject: x509.Name, issuer: x509.Name, key, days: int) -> x509.CertificateBuilder:
    now = datetime.now(UTC) - timedelta(minutes=5)  # a clock a little behind still accepts it
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=days))
    )


def _self_signed_ca(key: ec.EllipticCurvePrivateKey) -> x509.Certificate:
    builder = (
        _builder(_name(CA_NAME), _name(CA_NAME), key, CA_DAYS)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(cert_sign=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    return builder.sign(key, hashes.SHA256())


def _issue_localhost(ca_cert: x509.Certificate, ca_key, key) -> x509.Certificate:
    names: list[x509.GeneralName] = [x509.DNSName(name) for name in LOOPBACK_NAMES]
    names += [x509.IPAddress(ipaddress.ip_address(a)) for a in LOOPBACK_ADDRESSES]
    builder = _leaf(ca_cert, key, "localhost", ExtendedKeyUsageOID.SERVER_AUTH)
    builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    return builder.sign(ca_key, hashes.SHA256())


def _leaf(ca_cert: x509.Certificate, key, common_name: str, usage) -> x509.CertificateBuilder:
    """An end certificate for `usage` (server or client authentication) under the CA."""
    ca_key_id = ca_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    return (
        _builder(_name(common_name), ca_cert.subject, key, SERVER_DAYS)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(cert_sign=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_key_id),
            critical=False,
        )
    )


def _key_usage(cert_sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=cert_sign,
        crl_sign=cert_sign,
        encipher_only=False,
        decipher_only=False,
    )


def _write_key(path: Path, key: ec.EllipticCurvePrivateKey, passphrase: str) -> None:
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(passphrase.encode()),
    )
    _write_atomically(path, pem, 0o600)


def _write_public(path: Path, certificate: x509.Certificate) -> None:
    _write_atomically(path, certificate.public_bytes(serialization.Encoding.PEM), 0o644)


def _write_atomically(path: Path, data: bytes, mode: int) -> None:
    """Whole or not at all, and owner-only from the first byte when `mode` says so."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)
    os.replace(temporary, path)
