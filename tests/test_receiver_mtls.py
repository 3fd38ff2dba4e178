"""The built-in receiver requiring client certificates (mTLS) over real TLS on 127.0.0.1, with
Python's ssl and requests as the client: who presented what is in the inbox, a request without a
certificate gets 403 in the API's error shape, another authority's certificate fails the
handshake, and hostile TLS clients do not stop it."""

from __future__ import annotations

import time
from datetime import datetime, timedelta

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from receiver_client import captured, closed_by_server, connect, send
from test_receiver_cli import run_receiver, stop

from webhook_desk import tls_handshakes
from webhook_desk.errors import UserError
from webhook_desk.local_tls import ClientCertificate, LocalCA, client_passphrase_key
from webhook_desk.receiver.client_certs import ClientCertificateRule
from webhook_desk.receiver.server import Receiver
from webhook_desk.secrets import SecretStore
from webhook_desk.tls_handshakes import Refusal

REFUSAL = {"error": "a client certificate is required, issued by CN=webhook-desk local CA"}


@pytest.fixture
def ca(sqlite_db, memory_keyring, tmp_path, monkeypatch) -> LocalCA:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    return LocalCA()


@pytest.fixture
def tester(ca, tmp_path) -> ClientCertificate:
    return ca.issue_client_certificate("tester", tmp_path)


@pytest.fixture
def mtls_receiver(sqlite_db, ca):
    receiver = Receiver(sqlite_db)
    rule = ClientCertificateRule(ca.certificate_file())
    receiver.start("127.0.0.1", 0, tls=ca.localhost_certificate(), client_certificates=rule)
    yield receiver
    receiver.stop()


def test_a_request_with_a_certificate_from_the_local_ca_is_accepted_and_who_sent_it_is_kept(
    mtls_receiver, ca, tester
):
    assert send(mtls_receiver.url, ca, tester).status_code == 200
    row = captured(mtls_receiver)[-1]
    assert (row["status_code"], row["client_cert_subject"]) == (200, "CN=tester")
    assert row["client_cert_fingerprint"] == tester.fingerprint


def test_a_request_without_a_client_certificate_gets_403_and_the_receiver_keeps_serving(
    mtls_receiver, ca, tester
):
    refused = send(mtls_receiver.url, ca, None, "/no-cert")
    assert (refused.status_code, refused.json()) == (403, REFUSAL)
    row = captured(mtls_receiver)[-1]
    assert (row["path"], row["status_code"], row["client_cert_subject"]) == ("/no-cert", 403, None)
    assert send(mtls_receiver.url, ca, tester, "/after").status_code == 200


def test_a_certificate_from_another_authority_fails_the_handshake(
    mtls_receiver, ca, tester, tmp_path
):
    other_ca = LocalCA(tmp_path / "other-ca")
    (tmp_path / "elsewhere").mkdir()
    stranger = other_ca.issue_client_certificate("stranger", tmp_path / "elsewhere")
    before = captured(mtls_receiver)
    # TLS 1.3 checks the client's certificate after the client's side of the handshake is done:
    # the client reads an alert, or (sent its request already) a closed connection.
    with pytest.raises(requests.exceptions.ConnectionError):
        send(mtls_receiver.url, ca, stranger)
    assert captured(mtls_receiver) == before  # refused in the handshake: nothing arrived
    assert send(mtls_receiver.url, ca, tester, "/after").status_code == 200


def wait_until(condition, timeout_s: float = 5.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def refused_once(receiver: Receiver) -> Refusal:
    wait_until(lambda: receiver.handshakes.count == 1)
    [refusal] = receiver.handshakes.recent
    assert refusal.peer == "127.0.0.1"
    assert abs(refusal.at - datetime.now().astimezone()) < timedelta(seconds=10)
    return refusal


def test_a_handshake_refused_for_another_authoritys_certificate_is_counted_with_why(
    mtls_receiver, ca, tmp_path
):
    other_ca = LocalCA(tmp_path / "other-ca")
    (tmp_path / "elsewhere").mkdir()
    stranger = other_ca.issue_client_certificate("stranger", tmp_path / "elsewhere")
    with pytest.raises(requests.exceptions.ConnectionError):
        send(mtls_receiver.url, ca, stranger)
    refusal = refused_once(mtls_receiver)
    assert refusal.reason == "a client certificate from an unknown authority"
    assert mtls_receiver.handshakes.summary() == (
        "1 TLS handshake refused; last: a client certificate from an unknown authority"
        f" from 127.0.0.1 at {refusal.at:%H:%M}"
    )


def test_plain_http_to_the_https_port_is_counted_as_not_tls(mtls_receiver):
    with connect(mtls_receiver) as sock:
        sock.sendall(HOSTILE_HANDSHAKES["plain http to the https port"])
        assert closed_by_server(sock, 5.0)
    assert refused_once(mtls_receiver).reason == "not TLS at all"


def test_a_handshake_slower_than_the_limit_is_dropped_and_counted(
    sqlite_db, ca, tester, monkeypatch
):
    monkeypatch.setattr(tls_handshakes, "HANDSHAKE_TIMEOUT_S", 0.3)
    receiver = Receiver(sqlite_db)
    receiver.start("127.0.0.1", 0, tls=ca.localhost_certificate())
    try:
        with connect(receiver) as sock:
            sock.sendall(b"\x16\x03\x01\x02\x00\x01")  # a ClientHello begun, then nothing
            assert closed_by_server(sock, 5.0)
        assert refused_once(receiver).reason == "a handshake too slow (over 0.3 s)"
        assert send(receiver.url, ca, None, "/after").status_code == 200
        assert receiver.handshakes.count == 1  # a good handshake is not counted
    finally:
        receiver.stop()


def test_a_client_ca_given_as_a_file_is_the_one_trusted(sqlite_db, ca, tmp_path):
    other_ca = LocalCA(tmp_path / "other-ca")
    (tmp_path / "elsewhere").mkdir()
    stranger = other_ca.issue_client_certificate("stranger", tmp_path / "elsewhere")
    receiver = Receiver(sqlite_db)
    rule = ClientCertificateRule(other_ca.certificate_file())
    receiver.start("127.0.0.1", 0, tls=ca.localhost_certificate(), client_certificates=rule)
    try:
        assert send(receiver.url, ca, stranger).status_code == 200
        assert captured(receiver)[-1]["client_cert_subject"] == "CN=stranger"
    finally:
        receiver.stop()


HOSTILE_HANDSHAKES = {
    "random bytes": bytes(range(256)) * 4,
    "plain http to the https port": b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}",
    "a record header announcing 16 MB": b"\x16\x03\x01\xff\xff" + b"\x00" * 64,
}


def assert_answers_promptly(receiver: Receiver, ca: LocalCA, certificate) -> None:
    started = time.monotonic()
    assert send(receiver.url, ca, certificate, "/after").status_code == 200
    assert time.monotonic() - started < 1.0
    assert captured(receiver)[-1]["path"] == "/after"


@pytest.mark.parametrize("garbage", HOSTILE_HANDSHAKES.values(), ids=HOSTILE_HANDSHAKES.keys())
def test_a_garbage_handshake_with_mtls_on_is_dropped_and_others_are_served(
    mtls_receiver, ca, tester, garbage
):
    sock = connect(mtls_receiver)
    try:
        sock.sendall(garbage)
        if not garbage.startswith(b"\x16"):  # a record still incomplete waits for more bytes
            assert closed_by_server(sock, 5.0)
        assert_answers_promptly(mtls_receiver, ca, tester)
    finally:
        sock.close()


def test_slow_handshakes_with_mtls_on_do_not_block_others(mtls_receiver, ca, tester):
    stalled = [connect(mtls_receiver) for _ in range(50)]
    try:
        for sock in stalled:
            sock.sendall(b"\x16\x03\x01\x02\x00\x01")
        assert_answers_promptly(mtls_receiver, ca, tester)
    finally:
        for sock in stalled:
            sock.close()


def test_requiring_client_certificates_over_plain_http_is_one_sentence(sqlite_db, ca):
    receiver = Receiver(sqlite_db)
    rule = ClientCertificateRule(ca.certificate_file())
    with pytest.raises(UserError) as raised:
        receiver.start("127.0.0.1", 0, client_certificates=rule)
    assert str(raised.value) == (
        "A client certificate can be required only when the receiver serves HTTPS."
    )
    assert not receiver.running


# --- issuing client certificates ------------------------------------------------------------


def test_an_issued_key_is_encrypted_with_the_passphrase_kept_in_the_keyring(tester):
    key_pem = tester.key_file.read_bytes()
    assert b"ENCRYPTED PRIVATE KEY" in key_pem
    with pytest.raises(TypeError):  # no key in the clear
        serialization.load_pem_private_key(key_pem, None)
    assert SecretStore().get(client_passphrase_key("tester")) == tester.passphrase
    serialization.load_pem_private_key(key_pem, tester.passphrase.encode())
    assert tester.key_file.stat().st_mode & 0o077 == 0


BAD_ISSUES = {
    "a name with a slash": ("../x", "'../x' cannot name a client certificate"),
    "an empty name": ("", "'' cannot name a client certificate"),
    "a name already used in the folder": ("tester", "tester.pem exists already"),
}


@pytest.mark.parametrize(("name", "sentence"), BAD_ISSUES.values(), ids=BAD_ISSUES.keys())
def test_issuing_with_a_bad_name_or_over_existing_files_is_one_sentence(
    ca, tester, tmp_path, name, sentence
):
    before = tester.cert_file.read_bytes()
    with pytest.raises(UserError, match=sentence):
        ca.issue_client_certificate(name, tmp_path)
    assert tester.cert_file.read_bytes() == before


def test_issuing_into_a_folder_that_does_not_exist_is_one_sentence(ca, tmp_path):
    with pytest.raises(UserError) as raised:
        ca.issue_client_certificate("lab-pc", tmp_path / "absent")
    assert str(raised.value) == f"Cannot write to {tmp_path / 'absent'}: it is not a folder."


# --- the command line -----------------------------------------------------------------------


def test_receive_issue_client_cert_writes_the_files_and_says_where_the_passphrase_is(
    cli, ca, tmp_path
):
    result = cli("receive", "issue-client-cert", "--name", "lab-pc", "--out", tmp_path)
    assert result.code == 0, result.err
    assert f"Client certificate: {tmp_path / 'lab-pc.pem'}\n" in result.out
    assert "as 'tls/client-key/lab-pc'; --print-passphrase shows it." in result.out
    passphrase = SecretStore().get("tls/client-key/lab-pc")
    assert passphrase not in result.out
    shown = cli(
        "receive", "issue-client-cert", "--name", "other", "--out", tmp_path, "--print-passphrase"
    )
    assert (
        f"Key passphrase (shown this once): {SecretStore().get('tls/client-key/other')}\n"
        in shown.out
    )


@pytest.mark.parametrize(
    ("args", "sentence"),
    [
        (
            ["--require-client-cert"],
            "A client certificate can be required only when the receiver serves HTTPS.",
        ),
        (["--tls", "--client-ca", "ca.pem"], "--client-ca goes with --require-client-cert."),
        (
            ["--tls", "--require-client-cert", "--client-ca", "absent.pem"],
            "Cannot read absent.pem: No such file or directory.",
        ),
    ],
)
def test_receive_with_client_certificate_options_it_cannot_use_is_one_sentence(
    cli, ca, tmp_path, monkeypatch, args, sentence
):
    monkeypatch.chdir(tmp_path)
    result = cli("receive", "--port", "0", *args)
    assert (result.code, result.err) == (1, f"webhook-desk: {sentence}\n")


def test_receive_require_client_cert_refuses_without_and_prints_who_presented_one(
    sqlite_db, secret_service, tmp_path, monkeypatch, cli
):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    ca = LocalCA()
    tester = ca.issue_client_certificate("tester", tmp_path)
    process, url = run_receiver(sqlite_db, "--tls", "--require-client-cert")
    try:
        announced = [process.stdout.readline() for _ in range(3)]  # fingerprint, CA, rule
        assert announced[2] == "Client certificates required, issued by CN=webhook-desk local CA\n"
        assert send(url, ca, None, "/no-cert").status_code == 403
        assert send(url, ca, tester, "/with-cert").status_code == 200
        stranger = LocalCA(tmp_path / "other-ca")
        stranger.certificate_file()  # made now: the client trusts it, not the receiver's CA
        with pytest.raises(requests.exceptions.ConnectionError):
            send(url, stranger, tester, "/elsewhere")
        with pytest.raises(requests.exceptions.ConnectionError):
            requests.post(url.replace("https:", "http:"), data=b"{}", timeout=5)
    finally:
        out, err = stop(process)
    refused = [line for line in err.splitlines() if "TLS handshake refused" in line]
    assert [line.rsplit(" at ", 1)[0] for line in refused] == [
        "webhook-desk: TLS handshake refused: a client that does not trust the receiver's "
        "certificate from 127.0.0.1",
        "webhook-desk: TLS handshake refused: not TLS at all from 127.0.0.1",
    ]
    [line] = [line for line in out.splitlines() if "/with-cert" in line]
    assert line.endswith("client certificate CN=tester")
    listed = cli("inbox", "--json").json()
    by_path = {row["path"]: row for row in listed}
    assert by_path["/with-cert"]["client_cert_fingerprint"] == tester.fingerprint
    assert (by_path["/no-cert"]["status_code"], by_path["/no-cert"]["client_cert_subject"]) == (
        403,
        None,
    )
