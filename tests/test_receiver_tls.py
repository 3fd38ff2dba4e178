"""The built-in receiver over HTTPS on 127.0.0.1: with the local CA's certificate or the user's
own, hostile TLS clients do not stop it, and the engine delivers to it with no "insecure" switch."""

from __future__ import annotations

import hashlib
import ipaddress
import socket
import ssl
from datetime import UTC, datetime, timedelta

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from receiver_client import (
    assert_still_serving,
    captured,
    closed_by_server,
    connect,
    post,
)
from test_receiver_cli import run_receiver, stop

from webhook_desk.engine.sender import Sender, Timeouts
from webhook_desk.errors import UserError
from webhook_desk.local_tls import PASSPHRASE_KEY, LocalCA, ServingCertificate
from webhook_desk.receiver.server import Receiver
from webhook_desk.secrets import SecretStore
from webhook_desk.services import catalog, firing, registrations
from webhook_desk.services.delivery_engine import new_engine, validate
from webhook_desk.services.registrations import RegistrationInput

QUICK = Timeouts(connect=1, total=3)


@pytest.fixture
def db(sqlite_db, memory_keyring, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    with sqlite_db.session() as session:
        catalog.sync_catalog(session)
    return sqlite_db


@pytest.fixture
def local_ca(db, monkeypatch):
    ca = LocalCA()
    certificate = ca.localhost_certificate()
    # Test clients (requests with its defaults) trust the local CA as a user would configure.
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(ca.certificate_path))
    return certificate


@pytest.fixture
def https_receiver(db, local_ca):
    receiver = Receiver(db)
    receiver.start("127.0.0.1", 0, tls=local_ca)
    post(receiver, "/before", b'{"before": 1}')
    yield receiver
    receiver.stop()


def presented_fingerprint(address: tuple[str, int]) -> str:
    """The SHA-256 fingerprint of the certificate a server presents, read without trusting it."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with socket.create_connection(address, timeout=5) as raw:
        with context.wrap_socket(raw) as tls:
            return hashlib.sha256(tls.getpeercert(binary_form=True)).digest().hex(":").upper()


def test_the_receiver_serves_https_with_the_local_cas_certificate(https_receiver, local_ca):
    assert https_receiver.url.startswith("https://127.0.0.1:")
    response = post(https_receiver, "/hooks", b'{"event": "upload"}')
    assert response.status_code == 200
    assert captured(https_receiver)[-1]["path"] == "/hooks"
    assert presented_fingerprint(https_receiver.address) == local_ca.fingerprint


def test_a_client_that_does_not_trust_the_local_ca_refuses_the_receiver(
    https_receiver, monkeypatch
):
    monkeypatch.delenv("REQUESTS_CA_BUNDLE")
    with pytest.raises(requests.exceptions.SSLError):
        post(https_receiver, "/hooks", b"{}", timeout=5)


HOSTILE_HANDSHAKES = {
    "random bytes": bytes(range(256)) * 4,
    "plain http to the https port": b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}",
    "a record header announcing 16 MB": b"\x16\x03\x01\xff\xff" + b"\x00" * 64,
}


@pytest.mark.parametrize("garbage", HOSTILE_HANDSHAKES.values(), ids=HOSTILE_HANDSHAKES.keys())
def test_a_garbage_tls_handshake_is_dropped_and_others_are_served(https_receiver, garbage):
    before = captured(https_receiver)
    sock = connect(https_receiver)
    try:
        sock.sendall(garbage)
        if not garbage.startswith(b"\x16"):  # a record still incomplete waits for more bytes
            assert closed_by_server(sock, 5.0)
        assert_still_serving(https_receiver, before)
    finally:
        sock.close()
    assert captured(https_receiver)[-1]["path"] == "/after"  # nothing captured of the garbage


def test_slow_handshakes_do_not_block_others(https_receiver):
    """Fifty clients each send the first bytes of a ClientHello and then nothing."""
    before = captured(https_receiver)
    stalled = [connect(https_receiver) for _ in range(50)]
    try:
        for sock in stalled:
            sock.sendall(b"\x16\x03\x01\x02\x00\x01")
        assert_still_serving(https_receiver, before)
    finally:
        for sock in stalled:
            sock.close()


def own_certificate(tmp_path, days: int = 30, name: str = "mine") -> tuple:
    """A self-signed certificate and unencrypted key, as a user might bring from elsewhere."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "my test server")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=days))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = write_pair(tmp_path, name, certificate, key)
    return cert_file, key_file, certificate.fingerprint(hashes.SHA256()).hex(":").upper()


def write_pair(folder, name: str, certificate: x509.Certificate, key) -> tuple:
    """The certificate and its unencrypted key as PEM files NAME.pem and NAME-key.pem."""
    cert_file, key_file = folder / f"{name}.pem", folder / f"{name}-key.pem"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    key_file.write_bytes(pem)
    return cert_file, key_file


def register(db, url: str, auth_type: str = "hmac", development: bool = False) -> int:
    data = RegistrationInput(url=url, auth_type=auth_type, is_development=development)
    with db.session() as session:
        reg, _ = registrations.add(session, SecretStore(), data, secret="shared secret")
        return reg.id


def test_a_non_development_https_registration_at_the_receiver_validates_and_delivers_signed(
    db, https_receiver, monkeypatch
):
    monkeypatch.delenv("REQUESTS_CA_BUNDLE")  # the engine trusts the local CA by itself
    reg_id = register(db, https_receiver.url + "study-1")
    result = validate(db, SecretStore(), reg_id, sender=Sender(QUICK))
    assert (result.ok, result.error) == (True, None)
    https_receiver.refresh_secrets()
    with db.session() as session:
        [delivery] = firing.fire(session, "upload", to_registration=reg_id)
    new_engine(db, SecretStore(), timeouts=QUICK).run_until_idle()
    [row] = [r for r in captured(https_receiver) if r["delivery_id"] == delivery.uuid]
    assert (row["signature"], row["secret_version"]) == ("valid", f"registration {reg_id} v1")
    assert row["headers"]["X-Client-Cert-Used"] == "False"  # no client certificates yet


def test_an_endpoint_with_a_certificate_from_an_unknown_authority_fails_with_one_sentence(
    db, tmp_path
):
    cert_file, key_file, _ = own_certificate(tmp_path)
    receiver = Receiver(db)
    receiver.start("127.0.0.1", 0, tls=ServingCertificate(cert_file, key_file))
    try:
        LocalCA().localhost_certificate()  # the local CA exists, but did not issue this one
        response = Sender(QUICK).post(receiver.url + "hooks", {}, b"{}")
    finally:
        receiver.stop()
    assert response.status is None
    assert response.error == (
        "The endpoint's certificate is signed by an unknown authority: self-signed certificate."
    )


def expired_from_the_local_ca(tmp_path) -> ServingCertificate:
    """A localhost certificate the local CA signed, which expired yesterday."""
    ca = LocalCA()
    ca.localhost_certificate()
    passphrase = SecretStore().get(PASSPHRASE_KEY).encode()
    ca_key = serialization.load_pem_private_key(
        (ca.directory / "ca-key.pem").read_bytes(), passphrase
    )
    ca_cert = x509.load_pem_x509_certificate(ca.certificate_path.read_bytes())
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=10))
        .not_valid_after(now - timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    return ServingCertificate(*write_pair(tmp_path, "expired", certificate, key))


def test_an_endpoint_with_an_expired_certificate_fails_with_one_sentence(db, tmp_path):
    receiver = Receiver(db)
    receiver.start("127.0.0.1", 0, tls=expired_from_the_local_ca(tmp_path))
    try:
        response = Sender(QUICK).post(receiver.url + "hooks", {}, b"{}")
    finally:
        receiver.stop()
    assert response.error == "The endpoint's certificate is not valid now: certificate has expired."


def test_the_users_own_certificate_and_key_serve_https(db, tmp_path):
    cert_file, key_file, own_fingerprint = own_certificate(tmp_path)
    receiver = Receiver(db)
    receiver.start("127.0.0.1", 0, tls=ServingCertificate(cert_file, key_file))
    try:
        assert presented_fingerprint(receiver.address) == own_fingerprint
        assert receiver.certificate.fingerprint == own_fingerprint
    finally:
        receiver.stop()


def encrypted(key_file):
    key = serialization.load_pem_private_key(key_file.read_bytes(), None)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"a passphrase"),
    )
    key_file.write_bytes(pem)
    return key_file


BROKEN_PAIRS = {
    "a key of another certificate": (
        lambda mine, other: (mine[0], other[1]),
        r"^The key \S+other-key.pem does not belong to the certificate \S+mine.pem\.$",
    ),
    "a certificate that is not PEM": (
        lambda mine, other: (mine[1], mine[1]),
        r"^\S+mine-key.pem is not a PEM certificate\.$",
    ),
    "a key that is not PEM": (
        lambda mine, other: (mine[0], mine[0]),
        r"^\S+mine.pem is not a PEM private key\.$",
    ),
    "an encrypted key": (
        lambda mine, other: (mine[0], encrypted(mine[1])),
        r"^The key \S+mine-key.pem is encrypted: give one without a passphrase\.$",
    ),
    "a missing file": (
        lambda mine, other: (mine[0], mine[1].with_name("absent.pem")),
        r"^Cannot read \S+absent.pem: No such file or directory\.$",
    ),
}


@pytest.mark.parametrize(("pick", "sentence"), BROKEN_PAIRS.values(), ids=BROKEN_PAIRS.keys())
def test_a_certificate_and_key_that_cannot_serve_are_one_sentence(db, tmp_path, pick, sentence):
    mine = own_certificate(tmp_path)
    other = own_certificate(tmp_path, name="other")
    cert_file, key_file = pick(mine, other)
    receiver = Receiver(db)
    with pytest.raises(UserError, match=sentence):
        receiver.start("127.0.0.1", 0, tls=ServingCertificate(cert_file, key_file))
    assert not receiver.running


def test_receive_tls_serves_https_and_prints_the_fingerprint(
    sqlite_db, secret_service, tmp_path, monkeypatch
):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    process, url = run_receiver(sqlite_db, "--tls")
    try:
        fingerprint_line = process.stdout.readline()
        ca_line = process.stdout.readline()
        host, port = url.removeprefix("https://").rstrip("/").split(":")
        presented = presented_fingerprint((host, int(port)))
        assert fingerprint_line == f"Certificate SHA-256 fingerprint: {presented}\n"
        ca_file = tmp_path / "data" / "webhook-desk" / "tls" / "ca.pem"
        assert ca_line == f"Issued by the local CA, whose certificate is {ca_file}\n"
        assert requests.post(url + "hooks", data=b"{}", verify=ca_file).status_code == 200
    finally:
        stop(process)


def test_receive_with_the_users_certificate_prints_its_fingerprint(sqlite_db, tmp_path):
    cert_file, key_file, own_fingerprint = own_certificate(tmp_path)
    process, url = run_receiver(sqlite_db, "--cert", cert_file, "--key", key_file)
    try:
        assert process.stdout.readline() == f"Certificate SHA-256 fingerprint: {own_fingerprint}\n"
        assert url.startswith("https://127.0.0.1:")
    finally:
        stop(process)


@pytest.mark.parametrize(
    ("args", "sentence"),
    [
        (["--cert", "mine.pem"], "--cert and --key go together: give both, or --tls alone."),
        (["--key", "mine-key.pem"], "--cert and --key go together: give both, or --tls alone."),
        (
            ["--cert", "absent.pem", "--key", "absent.pem"],
            "Cannot read absent.pem: No such file or directory.",
        ),
    ],
)
def test_receive_with_a_certificate_it_cannot_use_is_one_sentence(
    cli, monkeypatch, tmp_path, args, sentence
):
    monkeypatch.chdir(tmp_path)
    result = cli("receive", "--port", "0", *args)
    assert (result.code, result.err) == (1, f"webhook-desk: {sentence}\n")
