"""The local CA: made on first use in the data directory, keys owner-only and encrypted with a
passphrase that only the OS keyring holds, and a localhost certificate that TLS clients accept."""

from __future__ import annotations

import ssl
import stat

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from webhook_desk import local_tls
from webhook_desk.errors import UserError
from webhook_desk.secrets import SecretStore
from webhook_desk.settings import data_dir


@pytest.fixture
def data_home(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    return tmp_path


def test_first_use_makes_a_ca_in_the_data_directory_with_protected_keys(data_home, secret_service):
    serving = local_tls.LocalCA().localhost_certificate()
    folder = data_dir() / "tls"
    assert {p.name for p in folder.iterdir()} == {
        "ca.pem",
        "ca-key.pem",
        "localhost.pem",
        "localhost-key.pem",
    }
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    passphrase = SecretStore().get(local_tls.PASSPHRASE_KEY)  # in the real Secret Service
    for key_file in (folder / "ca-key.pem", folder / "localhost-key.pem"):
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
        pem = key_file.read_bytes()
        assert pem.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
        with pytest.raises(TypeError):  # no key without the passphrase
            serialization.load_pem_private_key(pem, None)
        serialization.load_pem_private_key(pem, passphrase.encode())
    assert passphrase.encode() not in b"".join(p.read_bytes() for p in folder.iterdir())
    assert serving.cert_file == folder / "localhost.pem"


def test_the_certificate_names_every_loopback_address_and_verifies_against_the_ca(
    data_home, memory_keyring
):
    ca = local_tls.LocalCA()
    serving = ca.localhost_certificate()
    certificate = x509.load_pem_x509_certificate(serving.cert_file.read_bytes())
    names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.DNSName) == ["localhost"]
    assert [str(a) for a in names.get_values_for_type(x509.IPAddress)] == ["127.0.0.1", "::1"]
    client = ssl.create_default_context(cafile=ca.certificate_path)
    server = serving.server_context()
    for host in ("localhost", "127.0.0.1", "::1"):
        _handshake(client, server, host)


def _handshake(client: ssl.SSLContext, server: ssl.SSLContext, host: str) -> None:
    """A TLS handshake in memory: raises if the client does not accept the server for `host`."""
    to_server, to_client = ssl.MemoryBIO(), ssl.MemoryBIO()
    c_in, c_out, s_in, s_out = ssl.MemoryBIO(), ssl.MemoryBIO(), to_server, to_client
    client_side = client.wrap_bio(c_in, c_out, server_hostname=host)
    server_side = server.wrap_bio(s_in, s_out, server_side=True)
    done = {"client": False, "server": False}
    for _ in range(10):
        for name, side in (("client", client_side), ("server", server_side)):
            if not done[name]:
                try:
                    side.do_handshake()
                    done[name] = True
                except ssl.SSLWantReadError:
                    pass
        s_in.write(c_out.read())
        c_in.write(s_out.read())
        if all(done.values()):
            return
    raise AssertionError(f"no handshake for {host}")


def test_a_second_use_keeps_the_same_ca_and_certificate(data_home, memory_keyring):
    first = local_tls.LocalCA().localhost_certificate()
    ca_pem = local_tls.ca_certificate_path().read_bytes()
    second = local_tls.LocalCA().localhost_certificate()
    assert second.fingerprint == first.fingerprint
    assert local_tls.ca_certificate_path().read_bytes() == ca_pem


def test_a_certificate_within_30_days_of_expiry_is_issued_again(
    data_home, memory_keyring, monkeypatch
):
    monkeypatch.setattr(local_tls, "SERVER_DAYS", 29)
    first = local_tls.LocalCA().localhost_certificate().fingerprint
    monkeypatch.setattr(local_tls, "SERVER_DAYS", 397)
    renewed = local_tls.LocalCA().localhost_certificate()
    assert renewed.fingerprint != first
    assert local_tls.LocalCA().localhost_certificate().fingerprint == renewed.fingerprint


def test_a_lost_passphrase_is_one_sentence_naming_what_to_do(data_home, memory_keyring):
    local_tls.LocalCA().localhost_certificate()
    SecretStore().delete(local_tls.PASSPHRASE_KEY)
    with pytest.raises(UserError, match=r"passphrase is missing from the keyring .* delete"):
        local_tls.LocalCA().localhost_certificate()


@pytest.mark.parametrize(
    ("url", "trusted"),
    [
        ("https://127.0.0.1:8443/hooks", True),
        ("https://localhost:8443/", True),
        ("https://[::1]:8443/", True),
        ("http://127.0.0.1:8787/", False),
        ("https://example.org/hooks", False),
    ],
)
def test_the_local_ca_is_trusted_only_for_https_to_this_machine(
    data_home, memory_keyring, url, trusted
):
    assert local_tls.trusted_ca_for(url) is None  # no CA yet: nothing to trust
    local_tls.LocalCA().localhost_certificate()
    expected = local_tls.ca_certificate_path() if trusted else None
    assert local_tls.trusted_ca_for(url) == expected
