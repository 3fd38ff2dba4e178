"""Sending over TLS with a registration's own client certificate and trusted authorities: over
real TLS on 127.0.0.1, to an endpoint that requires a client certificate from a CA made here."""

from __future__ import annotations

import gc
import ipaddress
import re
import ssl
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import test_receiver_mtls
import test_serve
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from receiver_client import captured
from recording_server import RecordingServer
from sqlalchemy import create_engine, text

from webhook_desk.certificates import ClientCertificateFiles
from webhook_desk.db import Database
from webhook_desk.db.migrate import upgrade
from webhook_desk.engine.sender import Sender, Timeouts
from webhook_desk.errors import InvalidInput
from webhook_desk.secrets import SecretStore
from webhook_desk.services import endpoint_check, firing, registrations
from webhook_desk.services.delivery_engine import new_engine, validate
from webhook_desk.services.registration_rules import certificate_problems
from webhook_desk.services.registrations import RegistrationInput, TlsChange

QUICK = Timeouts(connect=2, total=5)
# The mTLS receiver's fixtures: the local CA and the receiver requiring its certificates.
ca, mtls_receiver = test_receiver_mtls.ca, test_receiver_mtls.mtls_receiver
served = test_serve.served  # `serve` over a fresh database, with a bearer token
PASSPHRASE = "correct horse battery staple"


@dataclass
class Issued:
    certificate: x509.Certificate
    key: ec.EllipticCurvePrivateKey

    def write(self, folder: Path, name: str, passphrase: str | None = None) -> tuple[Path, Path]:
        """NAME.pem and NAME-key.pem (the key encrypted when a passphrase is given)."""
        cert_file, key_file = folder / f"{name}.pem", folder / f"{name}-key.pem"
        cert_file.write_bytes(self.certificate.public_bytes(serialization.Encoding.PEM))
        encryption = (
            serialization.BestAvailableEncryption(passphrase.encode())
            if passphrase
            else serialization.NoEncryption()
        )
        key_file.write_bytes(
            self.key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
            )
        )
        return cert_file, key_file

    def pkcs12(self, folder: Path, name: str, passphrase: str) -> Path:
        path = folder / f"{name}.p12"
        path.write_bytes(
            pkcs12.serialize_key_and_certificates(
                name.encode(),
                self.key,
                self.certificate,
                None,
                serialization.BestAvailableEncryption(passphrase.encode()),
            )
        )
        return path

    def key_bytes(self) -> list[bytes]:
        """Every form the private key could be found in: PEM body and raw DER."""
        der = self.key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        pem = self.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        secret_scalar = self.key.private_numbers().private_value.to_bytes(32, "big")
        return [der, pem.splitlines()[1], secret_scalar]


class TestCA:
    """A certificate authority made for the test; it issues server and client certificates."""

    __test__ = False

    def __init__(self, name: str = "Hospital Test CA"):
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        authority = x509.BasicConstraints(ca=True, path_length=0)
        self.certificate = self._signed(self.name, self.key, range(-1, 365), authority)

    def pem_file(self, folder: Path, name: str = "ca") -> Path:
        path = folder / f"{name}-bundle.pem"
        path.write_bytes(self.certificate.public_bytes(serialization.Encoding.PEM))
        return path

    def issue(self, common_name: str, days: int = 90, since: int = -1, server: bool = False):
        """A certificate valid from `since` days from now until `days` from now."""
        key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
        address = x509.IPAddress(ipaddress.ip_address("127.0.0.1"))
        names = x509.SubjectAlternativeName([address]) if server else None
        return Issued(self._signed(subject, key, range(since, days), names), key)

    def _signed(self, subject: x509.Name, key, valid: range, extension) -> x509.Certificate:
        now = datetime.now(UTC)
        builder = x509.CertificateBuilder(
            issuer_name=self.name,
            subject_name=subject,
            public_key=key.public_key(),
            serial_number=x509.random_serial_number(),
            not_valid_before=now + timedelta(days=valid.start),
            not_valid_after=now + timedelta(days=valid.stop),
        )
        if extension is not None:
            builder = builder.add_extension(extension, critical=False)
        return builder.sign(self.key, hashes.SHA256())


@pytest.fixture
def db(catalog_db, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))  # no local CA of the user's
    return catalog_db


@pytest.fixture
def hospital():
    return TestCA()


@pytest.fixture
def mtls_endpoint(hospital, tmp_path):
    """An HTTPS endpoint on 127.0.0.1 whose certificate `hospital` signed, that requires a client
    certificate `hospital` signed (Python ssl, CERT_REQUIRED)."""
    cert_file, key_file = hospital.issue("127.0.0.1", server=True).write(tmp_path, "server")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)
    context.load_verify_locations(
        cadata=hospital.certificate.public_bytes(serialization.Encoding.PEM).decode()
    )
    context.verify_mode = ssl.CERT_REQUIRED
    with RecordingServer() as server:
        server.server.socket = context.wrap_socket(server.server.socket, server_side=True)
        yield server


def https_url(server: RecordingServer) -> str:
    return f"https://127.0.0.1:{server.port}/hook"


def register(db, url: str, tls: TlsChange) -> int:
    data = RegistrationInput(url=url, auth_type="hmac")
    with db.session() as session:
        reg, _ = registrations.add(session, SecretStore(), data, secret="shared secret", tls=tls)
        return reg.id


def deliver_one(db, reg_id: int) -> None:
    with db.session() as session:
        firing.fire(session, "upload", to_registration=reg_id)
    new_engine(db, SecretStore(), timeouts=QUICK).run_until_idle()


def test_the_client_certificate_is_presented_and_the_header_says_true(
    db, hospital, mtls_endpoint, tmp_path
):
    cert_file, key_file = hospital.issue("desk.hospital.example").write(tmp_path, "client")
    tls = TlsChange(
        ClientCertificateFiles(cert_file, key_file), ca_bundle=hospital.pem_file(tmp_path)
    )
    reg_id = register(db, https_url(mtls_endpoint), tls)
    result = validate(db, SecretStore(), reg_id, sender=Sender(QUICK))
    assert (result.ok, result.error) == (True, None)  # the handshake presents it too
    deliver_one(db, reg_id)
    [received] = mtls_endpoint.wait_for(1)
    assert received.header("X-Client-Cert-Used") == "True"
    handshake = mtls_endpoint.requests(events_only=False)[0]
    assert handshake.header("X-Client-Cert-Used") == "True"


def test_without_a_client_certificate_the_endpoint_refuses_and_the_handshake_says_why(
    db, hospital, mtls_endpoint, tmp_path
):
    reg_id = register(
        db, https_url(mtls_endpoint), TlsChange(ca_bundle=hospital.pem_file(tmp_path))
    )
    result = validate(db, SecretStore(), reg_id, sender=Sender(QUICK))
    assert result.error == (
        "The validation request failed: The endpoint refused the TLS connection: it requires a "
        "client certificate, and this registration has none."
    )
    assert mtls_endpoint.requests(events_only=False) == []


def test_an_endpoint_signed_by_another_authority_fails_with_the_unknown_authority_sentence(
    db, hospital, mtls_endpoint, tmp_path
):
    cert_file, key_file = hospital.issue("desk").write(tmp_path, "client")
    other = TestCA("Some Other CA").pem_file(tmp_path, "other")
    reg_id = register(
        db,
        https_url(mtls_endpoint),
        TlsChange(ClientCertificateFiles(cert_file, key_file), ca_bundle=other),
    )
    result = validate(db, SecretStore(), reg_id, sender=Sender(QUICK))
    assert result.error == (
        "The validation request failed: The endpoint's certificate is signed by an unknown "
        "authority: self-signed certificate in certificate chain."
    )


def test_a_pkcs12_file_with_its_passphrase_is_presented(db, hospital, mtls_endpoint, tmp_path):
    bundle = hospital.issue("desk p12").pkcs12(tmp_path, "client", PASSPHRASE)
    tls = TlsChange(
        ClientCertificateFiles(pkcs12_file=bundle, passphrase=PASSPHRASE),
        ca_bundle=hospital.pem_file(tmp_path),
    )
    reg_id = register(db, https_url(mtls_endpoint), tls)
    assert validate(db, SecretStore(), reg_id, sender=Sender(QUICK)).ok
    deliver_one(db, reg_id)
    [received] = mtls_endpoint.wait_for(1)
    assert received.header("X-Client-Cert-Used") == "True"


def test_the_client_certificate_refused_by_the_endpoint_is_one_sentence(
    db, hospital, mtls_endpoint, tmp_path
):
    stranger = TestCA("Stranger CA").issue("desk").write(tmp_path, "stranger")
    tls = TlsChange(ClientCertificateFiles(*stranger), ca_bundle=hospital.pem_file(tmp_path))
    reg_id = register(db, https_url(mtls_endpoint), tls)
    result = validate(db, SecretStore(), reg_id, sender=Sender(QUICK))
    assert result.error in {
        f"The validation request failed: The endpoint refused the client certificate ({why})."
        for why in ("unknown authority", "it closed the connection")  # TLS 1.3: either
    }


def bad_inputs(tmp_path: Path, hospital: TestCA) -> dict[str, tuple[ClientCertificateFiles, str]]:
    cert, key = hospital.issue("desk").write(tmp_path, "desk")
    other_cert, other_key = hospital.issue("someone else").write(tmp_path, "other")
    locked_cert, locked_key = hospital.issue("locked").write(tmp_path, "locked", PASSPHRASE)
    expired = hospital.issue("old desk", days=-1, since=-30).write(tmp_path, "expired")
    p12 = hospital.issue("p12").pkcs12(tmp_path, "desk", PASSPHRASE)
    files = ClientCertificateFiles
    return {
        "unreadable": (
            files(tmp_path / "missing.pem", key),
            f"Cannot read {tmp_path / 'missing.pem'}: No such file or directory.",
        ),
        "not a certificate": (
            files(key, key),
            f"{key} is not a PEM certificate.",
        ),
        "key of another": (
            files(cert, other_key),
            f"The key in {other_key} does not belong to the client certificate.",
        ),
        "expired": (files(*expired), "The client certificate (CN=old desk) expired on {day}."),
        "locked key without passphrase": (
            files(locked_cert, locked_key),
            f"The key {locked_key} is protected by a passphrase: give it.",
        ),
        "wrong passphrase": (
            files(locked_cert, locked_key, passphrase="wrong"),
            f"The passphrase for the key {locked_key} is wrong.",
        ),
        "pkcs12 wrong passphrase": (
            files(pkcs12_file=p12, passphrase="wrong"),
            f"The passphrase for {p12} is wrong.",
        ),
        "not pkcs12": (files(pkcs12_file=cert), f"{cert} is not a PKCS#12 file."),
    }


@pytest.mark.parametrize(
    "case",
    [
        "unreadable",
        "not a certificate",
        "key of another",
        "expired",
        "locked key without passphrase",
        "wrong passphrase",
        "pkcs12 wrong passphrase",
        "not pkcs12",
    ],
)
def test_a_client_certificate_that_cannot_be_used_is_one_sentence(db, hospital, tmp_path, case):
    given, sentence = bad_inputs(tmp_path, hospital)[case]
    yesterday = datetime.now(UTC) - timedelta(days=1)
    assert certificate_problems(given) == [sentence.format(day=f"{yesterday:%Y-%m-%d}")]
    with (
        db.session() as session,
        pytest.raises(InvalidInput, match=re.escape(certificate_problems(given)[0])),
    ):
        data = RegistrationInput(url="https://hooks.example/x")
        registrations.add(session, SecretStore(), data, tls=TlsChange(given))


def test_an_encrypted_pem_key_with_its_passphrase_is_accepted(hospital, tmp_path):
    cert, key = hospital.issue("locked").write(tmp_path, "locked", PASSPHRASE)
    assert certificate_problems(ClientCertificateFiles(cert, key, passphrase=PASSPHRASE)) == []


def test_the_key_is_in_the_keyring_only_never_in_the_database_or_exports(
    db, hospital, mtls_endpoint, tmp_path, cli, memory_keyring
):
    issued = hospital.issue("desk secret holder")
    cert_file, key_file = issued.write(tmp_path, "client", PASSPHRASE)
    tls = TlsChange(
        ClientCertificateFiles(cert_file, key_file, passphrase=PASSPHRASE),
        ca_bundle=hospital.pem_file(tmp_path),
    )
    reg_id = register(db, https_url(mtls_endpoint), tls)
    assert validate(db, SecretStore(), reg_id, sender=Sender(QUICK)).ok
    deliver_one(db, reg_id)
    mtls_endpoint.wait_for(1)
    exported = tmp_path / "history.ndjson"
    audit_file = tmp_path / "audit.csv"
    assert cli("export", "--format", "ndjson", "--output", exported, db=db).code == 0
    assert cli("audit", "export", "--output", audit_file, db=db).code == 0
    shown = cli("registrations", "show", reg_id, "--json", db=db)
    assert shown.json()["client_certificate"]["subject"] == "CN=desk secret holder"
    database = Path(str(db.engine.url.database))
    files = [*database.parent.glob(database.name + "*"), exported, audit_file]  # WAL too
    everything = b"".join(p.read_bytes() for p in files) + shown.out.encode()
    assert b"BEGIN CERTIFICATE" in everything  # the public part is kept
    for form in issued.key_bytes():
        assert form not in everything
    assert PASSPHRASE.encode() not in everything
    [kept] = [v for (_, k), v in memory_keyring.values.items() if k.endswith("/client-key/v1")]
    assert serialization.load_pem_private_key(kept.encode(), None).private_numbers() == (
        issued.key.private_numbers()
    )


def test_the_built_in_receiver_requiring_mtls_accepts_the_registrations_certificate(
    db, ca, mtls_receiver, tmp_path
):
    issued = ca.issue_client_certificate("ward-7-desk", tmp_path)
    given = ClientCertificateFiles(issued.cert_file, issued.key_file, passphrase=issued.passphrase)
    reg_id = register(db, mtls_receiver.url + "hooks", TlsChange(given))  # local CA: no bundle
    result = validate(db, SecretStore(), reg_id, sender=Sender(QUICK))
    assert (result.ok, result.error) == (True, None)
    mtls_receiver.refresh_secrets()
    deliver_one(db, reg_id)
    [row] = [
        r for r in captured(mtls_receiver) if r["headers"].get("X-ActiGraph-Event") == "upload"
    ]
    assert (row["status_code"], row["client_cert_subject"]) == (200, "CN=ward-7-desk")
    assert row["client_cert_fingerprint"] == issued.fingerprint
    assert (row["headers"]["X-Client-Cert-Used"], row["signature"]) == ("True", "valid")


def test_the_built_in_receiver_refuses_a_registration_without_a_certificate(db, mtls_receiver, ca):
    reg_id = register(db, mtls_receiver.url + "hooks", TlsChange())
    result = validate(db, SecretStore(), reg_id, sender=Sender(QUICK))
    assert result.error == "The endpoint answered the validation request with 403, not 200."
    [row] = captured(mtls_receiver)
    assert (row["headers"]["X-Client-Cert-Used"], row["client_cert_subject"]) == ("False", None)


def test_the_cli_adds_shows_and_removes_a_client_certificate(
    db, hospital, tmp_path, cli, monkeypatch, memory_keyring
):
    bundle = hospital.issue("cli desk").pkcs12(tmp_path, "desk", PASSPHRASE)
    url = "https://hooks.hospital.example/in"
    monkeypatch.setenv("DESK_P12_PASS", PASSPHRASE)
    added = cli("registrations", "add", "--url", url, "--study", "S1", "--pkcs12", bundle,
                "--passphrase-env", "DESK_P12_PASS", "--ca-bundle", hospital.pem_file(tmp_path),
                db=db)  # fmt: skip
    assert (added.code, added.err) == (0, "")
    reg_id = added.out.strip()
    shown = cli("registrations", "show", reg_id, db=db).out
    assert "client certificate: CN=cli desk, issued by CN=Hospital Test CA, expires " in shown
    assert "trusted CA: CN=Hospital Test CA" in shown
    assert PASSPHRASE not in shown
    edited = cli("registrations", "edit", reg_id, "--no-client-cert", "--no-ca-bundle", db=db)
    assert edited.out == (
        f"Registration {reg_id}: presents no client certificate, trusts the system's CAs; "
        "it will be validated again.\n"
    )
    after = cli("registrations", "show", reg_id, "--json", db=db).json()
    assert (after["client_certificate"], after["ca_bundle"]) == (None, None)
    assert not [k for (_, k) in memory_keyring.values if "/client-key/" in k]


@pytest.mark.parametrize(
    "options, environment, sentence",
    [
        (["--pkcs12", "{p12}", "--passphrase-env", "UNSET_PASS"], {},
         "The environment variable UNSET_PASS is not set."),
        (["--pkcs12", "{p12}", "--passphrase-env", "WRONG_PASS"], {"WRONG_PASS": "nope"},
         "The passphrase for {p12} is wrong."),
        (["--pkcs12", "{p12}"], {}, "{p12} is protected by a passphrase: give it."),
        (["--client-key", "{p12}"], {}, "--client-key goes with --client-cert."),
    ],
)  # fmt: skip
def test_the_cli_says_in_one_line_why_a_certificate_cannot_be_used(
    db, hospital, tmp_path, cli, monkeypatch, options, environment, sentence
):
    p12 = hospital.issue("cli desk").pkcs12(tmp_path, "desk", PASSPHRASE)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    argv = [option.format(p12=p12) for option in options]
    result = cli("registrations", "add", "--url", "https://h.example/x", *argv, db=db)
    assert (result.code, result.err) == (1, f"webhook-desk: {sentence.format(p12=p12)}\n")
    assert cli("registrations", "list", "--json", db=db).json() == []


def test_health_warns_of_certificates_expiring_within_30_days_or_expired(
    db, hospital, tmp_path, cli
):
    soon = hospital.issue("soon desk", days=10).write(tmp_path, "soon")
    expired_ca = TestCA("Retired CA")
    expired_ca.certificate = expired_ca._signed(
        expired_ca.name, expired_ca.key, range(-60, -2), None
    )
    later = hospital.issue("later desk", days=200).write(tmp_path, "later")
    expiring = register(db, "https://a.example/in", TlsChange(ClientCertificateFiles(*soon)))
    retired = register(
        db, "https://b.example/in", TlsChange(ca_bundle=expired_ca.pem_file(tmp_path))
    )
    register(db, "https://c.example/in", TlsChange(ClientCertificateFiles(*later)))
    in_10_days = f"{datetime.now(UTC) + timedelta(days=10):%Y-%m-%d}"
    two_days_ago = f"{datetime.now(UTC) - timedelta(days=2):%Y-%m-%d}"
    expected = [
        f"Registration {expiring} (a.example): The client certificate (CN=soon desk) expires "
        f"on {in_10_days}, in 10 days.",
        f"Registration {retired} (b.example): The trusted CA (CN=Retired CA) expired on "
        f"{two_days_ago}.",
    ]
    report = cli("health", "--json", db=db).json()
    assert report["warnings"] == expected
    text = cli("health", db=db).out
    assert all(f"warning   {w}" in text for w in expected)


def test_check_endpoint_presents_the_registrations_certificate(
    db, hospital, mtls_endpoint, tmp_path
):
    client = ClientCertificateFiles(*hospital.issue("checker").write(tmp_path, "client"))
    tls = TlsChange(client, ca_bundle=hospital.pem_file(tmp_path))
    reg_id = register(db, https_url(mtls_endpoint), tls)
    target = endpoint_check.target_of_registration(db, SecretStore(), reg_id)
    run = endpoint_check.run(db, target, "tester", timeouts=QUICK)
    assert run.results[0].verdict == endpoint_check.PASS  # the handshake, over mTLS
    arrived = mtls_endpoint.requests(events_only=False)
    assert arrived and {r.header("X-Client-Cert-Used") for r in arrived} == {"True"}


def test_the_key_lives_in_the_real_secret_service_and_goes_with_the_registration(
    sqlite_db, secret_service, hospital, tmp_path
):
    issued = hospital.issue("desk on a real keyring")
    key_pem = issued.key_bytes()[1]  # a line of the key's PEM body
    reg_id = register(
        sqlite_db,
        "https://hooks.example/in",
        TlsChange(ClientCertificateFiles(*issued.write(tmp_path, "c"))),
    )
    store = SecretStore()
    with sqlite_db.session() as session:
        reg = registrations.get(session, reg_id)
        [version] = [v for v in reg.secrets if v.kind == "client-key"]
        assert key_pem in store.get(version.keyring_key).encode()
        registrations.delete(session, store, reg_id)
    assert not [
        item
        for item in secret_service.get_preferred_collection().get_all_items()
        if item.get_attributes().get("username", "").startswith(f"registration-{reg_id}/")
    ]


def test_the_served_module_never_gives_out_a_client_key_for_the_signing_secret(
    served, hospital, tmp_path
):
    made = test_serve._subscribe(served)
    path = f"{test_serve.ORG}/{made['id']}"
    issued = hospital.issue("org desk")
    with served.db.session() as session:
        [reg] = registrations.list_all(session)
        change = TlsChange(ClientCertificateFiles(*issued.write(tmp_path, "c")))
        registrations.set_tls(session, SecretStore(), reg.id, change)
    assert served.get(path + "/secrets").json() == {"secretKey": made["secretKey"]}
    history = served.get(path + "/webhook-secret-histories").json()
    assert [entry["version"] for entry in history] == [1]  # the signing secret's only
    assert issued.key_bytes()[1] not in served.get(path + "/secrets").content


def test_certificates_stored_before_their_facts_were_kept_are_warned_of_after_upgrading(
    hospital, tmp_path
):
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    engine = create_engine(url)
    upgrade(engine, "0019")
    soon = hospital.issue("soon desk", days=10).certificate.public_bytes(serialization.Encoding.PEM)
    with engine.begin() as c:
        c.execute(
            text(
                "INSERT INTO registration (id, name, url, event_version, auth_type, is_development,"
                " status, validation_state, failure_streak, source, created_at, updated_at,"
                " client_certificate) VALUES (3, 'Lab', 'https://a.example/in', 'v1', 'none', 0,"
                " 'enabled', 'validated', 0, 'local', '2026-01-02 03:04:05',"
                " '2026-01-02 03:04:05', :pem)"
            ),
            {"pem": soon.decode()},
        )
    engine.dispose()
    db = Database.open(url)
    with db.session() as session:
        shown = registrations.as_dict(registrations.get(session, 3))
    db.dispose()
    in_10_days = f"{datetime.now(UTC) + timedelta(days=10):%Y-%m-%d}"
    assert shown["client_certificate"]["subject"] == "CN=soon desk"
    assert shown["certificate_warnings"] == [
        f"The client certificate (CN=soon desk) expires on {in_10_days}, in 10 days."
    ]


def live_ssl_contexts() -> int:
    gc.collect()
    return sum(isinstance(o, ssl.SSLContext) for o in gc.get_objects())


def test_a_long_running_sender_keeps_a_few_tls_contexts_however_often_certificates_change(
    db, hospital, mtls_endpoint, tmp_path
):
    sender = Sender(QUICK)  # one sender, as a long-running engine has
    bundle = hospital.pem_file(tmp_path)
    first = ClientCertificateFiles(*hospital.issue("desk 0").write(tmp_path, "client0"))
    reg_id = register(db, https_url(mtls_endpoint), TlsChange(first, ca_bundle=bundle))
    before = live_ssl_contexts()
    for n in range(1, 21):
        files = ClientCertificateFiles(*hospital.issue(f"desk {n}").write(tmp_path, f"c{n}"))
        with db.session() as session:
            registrations.set_tls(session, SecretStore(), reg_id, TlsChange(files))
        result = validate(db, SecretStore(), reg_id, sender=sender)
        assert (result.ok, result.error) == (True, None)  # each new certificate is presented
    assert live_ssl_contexts() - before <= 8
    sender.close()
