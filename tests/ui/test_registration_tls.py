"""The registration dialog's TLS section and the certificate warnings of the Registrations tab,
driven as a coordinator would: choose files, type the passphrase, read what the window says."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt

from tests.test_client_certificates import PASSPHRASE, TestCA
from tests.ui.test_registrations_tab import fill, one_registration_selected, open_add_dialog
from webhook_desk.certificates import ClientCertificateFiles
from webhook_desk.services import registrations
from webhook_desk.services.registrations import TlsChange


def test_a_chosen_pkcs12_file_shows_what_it_is_and_is_saved_with_its_passphrase(
    window, qtbot, context, tmp_path, memory_keyring
):
    ca = TestCA()
    bundle = ca.issue("sleep-lab-desk").pkcs12(tmp_path, "desk", PASSPHRASE)
    dialog = open_add_dialog(window, qtbot)
    fill(dialog, qtbot)
    qtbot.keyClicks(dialog.tls.certificate_file, str(bundle))
    assert dialog.error_label.text() == f"{bundle} is protected by a passphrase: give it."
    assert not dialog.save_button.isEnabled()
    qtbot.keyClicks(dialog.tls.passphrase, "wrong")
    assert dialog.error_label.text() == f"The passphrase for {bundle} is wrong."
    dialog.tls.passphrase.clear()
    qtbot.keyClicks(dialog.tls.passphrase, PASSPHRASE)
    assert dialog.error_label.text() == ""
    facts = dialog.tls.facts.text()
    assert "Presents CN=sleep-lab-desk (issued by CN=Hospital Test CA), until " in facts
    assert "SHA-256 " in facts
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.isVisible())
    with context.db.session() as session:
        [reg] = registrations.list_all(session)
        assert registrations.as_dict(reg)["client_certificate"]["subject"] == "CN=sleep-lab-desk"
    assert [k for (_, k) in memory_keyring.values if k.endswith("/client-key/v1")]


def test_a_key_of_another_certificate_is_refused_in_the_dialog(window, qtbot, tmp_path):
    ca = TestCA()
    cert, _ = ca.issue("desk").write(tmp_path, "desk")
    _, other_key = ca.issue("other").write(tmp_path, "other")
    dialog = open_add_dialog(window, qtbot)
    fill(dialog, qtbot)
    qtbot.keyClicks(dialog.tls.certificate_file, str(cert))
    qtbot.keyClicks(dialog.tls.key_file, str(other_key))
    assert dialog.error_label.text() == (
        f"The key in {other_key} does not belong to the client certificate."
    )
    assert not dialog.save_button.isEnabled()


def test_a_certificate_expiring_soon_is_flagged_in_the_row_and_the_detail(
    window, qtbot, context, tmp_path
):
    ca = TestCA()
    cert, key = ca.issue("desk", days=12).write(tmp_path, "desk")
    tab, reg_id = one_registration_selected(window, qtbot, context)
    with context.db.session() as session:
        registrations.set_tls(
            session, context.store, reg_id, TlsChange(ClientCertificateFiles(cert, key))
        )
    tab.refresh()
    sentence = "The client certificate (CN=desk) expires on "
    qtbot.waitUntil(
        lambda: sentence in (tab.proxy.index(0, 0).data(Qt.ItemDataRole.ToolTipRole) or "")
    )
    assert "in 12 days." in tab.proxy.index(0, 0).data(Qt.ItemDataRole.ToolTipRole)
    assert tab.proxy.index(0, 0).data(Qt.ItemDataRole.DecorationRole) is not None
    qtbot.waitUntil(lambda: sentence in tab.detail.advice.text())
    assert tab.detail.advice.isVisible()
    assert "Presents CN=desk (issued by CN=Hospital Test CA)" in tab.detail.values["TLS"].text()


def test_editing_shows_the_saved_certificate_and_can_stop_presenting_it(
    window, qtbot, context, tmp_path, memory_keyring
):
    cert, key = TestCA().issue("old desk").write(tmp_path, "desk")
    tab, reg_id = one_registration_selected(window, qtbot, context)
    with context.db.session() as session:
        registrations.set_tls(
            session, context.store, reg_id, TlsChange(ClientCertificateFiles(cert, key))
        )
    tab.refresh()
    qtbot.waitUntil(lambda: "CN=old desk" in tab.detail.values["TLS"].text())
    tab.actions_by_name["edit"].trigger()
    qtbot.waitUntil(lambda: tab.dialog is not None)
    dialog = tab.dialog
    assert "Presents CN=old desk (issued by CN=Hospital Test CA)" in dialog.tls.facts.text()
    assert dialog.tls.certificate_file.text() == ""  # nothing of the key is shown again
    box = dialog.tls.no_client_certificate
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton, pos=QPoint(8, box.height() // 2))  # its box
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.isVisible())
    with context.db.session() as session:
        assert registrations.get(session, reg_id).client_certificate is None
    assert not [k for (_, k) in memory_keyring.values if "/client-key/" in k]
