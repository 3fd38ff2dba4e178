"""The Receiver tab's HTTPS switch, as a tester uses it: the fingerprint of what it serves, and
the local CA's certificate exported for other clients to trust."""

import hashlib
import socket
import ssl
from urllib.parse import urlsplit

import pytest
import requests
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QMessageBox

from webhook_desk.local_tls import ca_certificate_path


@pytest.fixture
def tab(receiver_tab):
    return receiver_tab


def presented_fingerprint(url: str) -> str:
    parts = urlsplit(url)
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    with socket.create_connection((parts.hostname, parts.port), timeout=5) as raw:
        with context.wrap_socket(raw) as tls:
            return hashlib.sha256(tls.getpeercert(binary_form=True)).digest().hex(":").upper()


def test_the_https_switch_serves_https_and_shows_the_fingerprint(tab, qtbot):
    qtbot.mouseClick(tab.https_row.https, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(tab.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: tab.url.text().startswith("https://127.0.0.1:"))
    url = tab.url.text()
    assert tab.https_row.fingerprint.text() == f"SHA-256 fingerprint: {presented_fingerprint(url)}"
    assert not tab.https_row.https.isEnabled()  # chosen before starting, like the port
    answer = requests.post(url + "hooks", data=b'{"event": "upload"}', verify=ca_certificate_path())
    assert answer.status_code == 200
    qtbot.waitUntil(lambda: tab.model.rowCount() == 1)
    qtbot.mouseClick(tab.start_button, Qt.MouseButton.LeftButton)
    assert (tab.https_row.fingerprint.text(), tab.https_row.https.isEnabled()) == ("", True)


def test_export_ca_certificate_writes_the_certificate_clients_should_trust(
    tab, qtbot, tmp_path, monkeypatch
):
    target = tmp_path / "exported-ca.pem"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))
    qtbot.mouseClick(tab.https_row.export_ca_button, Qt.MouseButton.LeftButton)
    assert target.read_bytes() == ca_certificate_path().read_bytes()
    assert target.read_bytes().startswith(b"-----BEGIN CERTIFICATE-----")


def test_export_to_a_folder_that_does_not_exist_is_one_sentence(tab, qtbot, tmp_path, monkeypatch):
    target = tmp_path / "absent" / "ca.pem"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))
    qtbot.mouseClick(tab.https_row.export_ca_button, Qt.MouseButton.LeftButton)
    box = tab.https_row.findChild(QMessageBox, "error_message")
    assert box.text() == f"Cannot write {target}: No such file or directory."
