"""The Receiver tab's client certificates (mTLS), as a tester uses them: require one, see who
presented what, issue one from the local CA; and the HTTPS and mTLS choices survive a restart."""

import pytest
import requests
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QFileDialog, QInputDialog, QMessageBox
from receiver_client import send

from webhook_desk.local_tls import LocalCA
from webhook_desk.secrets import SecretStore
from webhook_desk.ui.main_window import MainWindow
from webhook_desk.ui.preferences import Preferences


@pytest.fixture
def tab(receiver_tab):
    return receiver_tab


def click(widget, qtbot):
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)


def start_with_mtls(tab, qtbot) -> str:
    click(tab.https_row.https, qtbot)
    click(tab.client_certs_row.require, qtbot)
    click(tab.start_button, qtbot)
    qtbot.waitUntil(lambda: tab.url.text().startswith("https://"))
    return tab.url.text()


def column(tab, header: str) -> int:
    model = tab.model
    headers = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]
    return headers.index(header)


def test_requiring_a_client_certificate_refuses_without_and_shows_who_presented_one(
    tab, qtbot, tmp_path
):
    assert not tab.client_certs_row.require.isEnabled()  # over HTTPS only
    url = start_with_mtls(tab, qtbot)
    assert not tab.client_certs_row.require.isEnabled()  # chosen before starting
    ca = LocalCA()
    tester = ca.issue_client_certificate("tester", tmp_path)
    assert send(url, ca, None, "/no-cert").status_code == 403
    assert send(url, ca, tester, "/with-cert").status_code == 200
    qtbot.waitUntil(lambda: tab.model.rowCount() == 2)
    cert_column = column(tab, "Client certificate")
    newest = tab.model.index(0, cert_column)
    assert newest.data() == "CN=tester"
    assert newest.data(Qt.ItemDataRole.ToolTipRole) == f"SHA-256 {tester.fingerprint}"
    assert tab.model.index(1, cert_column).data() == ""
    assert tab.model.index(1, column(tab, "Answer")).data() == "403"
    tab.table.selectRow(0)
    assert (
        f"Client certificate CN=tester · SHA-256 {tester.fingerprint}"
        in tab.request_headers.toPlainText()
    )


def test_turning_https_off_turns_the_client_certificate_requirement_off(tab, qtbot):
    click(tab.https_row.https, qtbot)
    click(tab.client_certs_row.require, qtbot)
    click(tab.https_row.https, qtbot)
    assert not tab.client_certs_row.require.isChecked()
    assert not tab.controller.require_client_certs


def test_a_client_ca_file_that_is_not_a_certificate_is_one_sentence_when_starting(
    tab, qtbot, tmp_path, monkeypatch
):
    not_a_ca = tmp_path / "notes.pem"
    not_a_ca.write_text("hello")
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(not_a_ca), ""))
    click(tab.https_row.https, qtbot)
    click(tab.client_certs_row.require, qtbot)
    click(tab.client_certs_row.choose_ca_button, qtbot)
    assert tab.client_certs_row.authority.text() == "issued by notes.pem"
    click(tab.start_button, qtbot)
    assert tab.state.text() == f"{not_a_ca} is not a PEM certificate."
    assert not tab.controller.is_running


def test_https_and_client_certificate_choices_are_restored_at_the_next_start(
    window, tab, qtbot, context, settings, tmp_path, monkeypatch
):
    ca_file = tmp_path / "hospital-ca.pem"
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(ca_file), ""))
    click(tab.https_row.https, qtbot)
    click(tab.client_certs_row.require, qtbot)
    click(tab.client_certs_row.choose_ca_button, qtbot)
    window.shutdown()
    context.engine = context.receiver = None  # a new start builds them from the settings
    second = MainWindow(context, settings)
    qtbot.addWidget(second)
    restored = second.receiver_tab
    assert restored.https_row.https.isChecked()
    assert restored.client_certs_row.require.isChecked()
    assert restored.client_certs_row.authority.text() == "issued by hospital-ca.pem"
    assert (context.receiver.https, context.receiver.require_client_certs) == (True, True)
    assert context.receiver.client_ca == ca_file
    second.shutdown()


def test_saving_the_settings_dialog_keeps_the_receiver_tabs_choices(window, tab, qtbot, settings):
    from test_settings import open_settings, save_button

    click(tab.https_row.https, qtbot)
    dialog = open_settings(window, qtbot)
    click(save_button(dialog), qtbot)
    assert Preferences.load(settings).receiver_https


def test_issue_client_certificate_writes_the_files_and_offers_the_passphrase(
    tab, qtbot, tmp_path, monkeypatch
):
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("lab-pc", True))
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(tmp_path))
    click(tab.client_certs_row.issue_button, qtbot)
    qtbot.waitUntil(lambda: tab.findChild(QMessageBox, "issued_message") is not None)
    box = tab.findChild(QMessageBox, "issued_message")
    assert box.text() == (
        f"Wrote {tmp_path / 'lab-pc.pem'} and its encrypted key lab-pc-key.pem. The key's "
        "passphrase is in the keyring as 'tls/client-key/lab-pc'."
    )
    [copy] = [b for b in box.buttons() if b.text() == "Copy passphrase"]
    click(copy, qtbot)
    assert QGuiApplication.clipboard().text() == SecretStore().get("tls/client-key/lab-pc")
    assert b"ENCRYPTED PRIVATE KEY" in (tmp_path / "lab-pc-key.pem").read_bytes()


def test_issuing_over_an_existing_certificate_is_one_sentence(tab, qtbot, tmp_path, monkeypatch):
    (tmp_path / "lab-pc.pem").write_text("someone else's")
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("lab-pc", True))
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(tmp_path))
    click(tab.client_certs_row.issue_button, qtbot)
    qtbot.waitUntil(
        lambda: tab.client_certs_row.findChild(QMessageBox, "error_message") is not None
    )
    box = tab.client_certs_row.findChild(QMessageBox, "error_message")
    assert box.text() == f"{tmp_path / 'lab-pc.pem'} exists already: choose another name or folder."
    assert (tmp_path / "lab-pc.pem").read_text() == "someone else's"


def test_a_refused_tls_handshake_is_counted_in_the_tab_with_why_and_from_where(
    tab, qtbot, tmp_path
):
    url = start_with_mtls(tab, qtbot)
    other_ca = LocalCA(tmp_path / "other-ca")
    (tmp_path / "elsewhere").mkdir()
    stranger = other_ca.issue_client_certificate("stranger", tmp_path / "elsewhere")
    assert not tab.refused_handshakes.isVisible()
    with pytest.raises(requests.exceptions.ConnectionError):
        send(url, LocalCA(), stranger)
    qtbot.waitUntil(tab.refused_handshakes.isVisible)
    text = tab.refused_handshakes.text()
    assert text.startswith(
        "1 TLS handshake refused; last: a client certificate from an unknown authority"
        " from 127.0.0.1 at "
    )
    assert tab.refused_handshakes.toolTip().startswith(
        "a client certificate from an unknown authority from 127.0.0.1 at "
    )
    assert tab.model.rowCount() == 0  # nothing arrived: nothing in the inbox
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.post(url.replace("https:", "http:"), data=b"{}", timeout=5)
    qtbot.waitUntil(lambda: tab.refused_handshakes.text().startswith("2 TLS handshakes"))
    assert "not TLS at all from 127.0.0.1" in tab.refused_handshakes.text()
    assert len(tab.refused_handshakes.toolTip().splitlines()) == 2
