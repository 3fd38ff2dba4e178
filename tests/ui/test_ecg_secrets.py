"""A coordinator sets or rotates the secret of a hosted ECG subscription from the Registrations
tab: it goes to the module (`webhook-desk serve` in its own process) once, and here only to
the keyring, never the database."""

import contextlib

from ecg_module import mirror
from keyring.backends.SecretService import Keyring as SecretServiceKeyring
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox
from test_registrations_tab import wait_for_rows

from webhook_desk.db.models import AuditEntry, Registration
from webhook_desk.platform.sync import keep_token
from webhook_desk.settings import KEYRING_SERVICE

TYPED = "hosted-secret-typed-on-the-desk-51c2"


def _module_secret(module, remote: str) -> str:
    """The newest secret the module signs with, from the keyring its process keeps it in."""
    with module.db.session() as session:
        key = module.stored(session, remote).secrets[-1].keyring_key
    return SecretServiceKeyring().get_password(KEYRING_SERVICE, key)


def _set_secret(window, qtbot, typed: str, reason: str):
    tab = window.registrations_tab
    tab.refresh()
    wait_for_rows(tab, qtbot, 1)
    tab.table.selectRow(0)
    action = tab.actions_by_name["rotate"]
    assert action.isEnabled() and action.toolTip().startswith("Rotate secret (")
    action.trigger()
    dialog = tab.secret_dialog
    assert dialog.windowTitle() == "Set secret on the ECG module"
    qtbot.keyClicks(dialog.secret, typed)
    qtbot.keyClicks(dialog.reason, reason)
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    return tab


def _secret_versions_here(db, reg_id) -> int:
    with db.session() as session:
        return len(session.get(Registration, reg_id).secrets)


def _stored_bytes(db) -> bytes:
    database_file = db.url.removeprefix("sqlite:///")
    stored = b""
    for path in (database_file, database_file + "-wal"):
        with contextlib.suppress(FileNotFoundError), open(path, "rb") as file:
            stored += file.read()
    return stored


def test_a_typed_secret_goes_to_the_module_and_only_to_the_keyring_here(
    ecg, window, qtbot, context
):
    org, remote, reg_id = mirror(ecg, context.db)
    keep_token(context.store, ecg.url, ecg.token)
    versions = ecg.secret_versions(remote)

    _set_secret(window, qtbot, TYPED, "receiver rotated its key")

    qtbot.waitUntil(lambda: _secret_versions_here(context.db, reg_id) == 1)
    assert ecg.secret_versions(remote) == versions + 1
    assert _module_secret(ecg, remote) == TYPED
    with context.db.session() as session:
        kept = session.get(Registration, reg_id).secrets[-1]
        assert context.store.get(kept.keyring_key) == TYPED
        entry = session.query(AuditEntry).filter_by(action="secret.rotate").one()
        assert entry.reason.startswith("receiver rotated its key") and remote in entry.reason
    stored = _stored_bytes(context.db)
    assert b"secret.rotate" in stored and TYPED.encode() not in stored
    detail = window.registrations_tab.detail
    qtbot.waitUntil(lambda: kept.fingerprint in detail.secrets.text())


def test_a_blank_secret_is_generated_sent_and_shown_once(ecg, window, qtbot, context):
    org, remote, reg_id = mirror(ecg, context.db)
    keep_token(context.store, ecg.url, ecg.token)

    tab = _set_secret(window, qtbot, "", "")

    qtbot.waitUntil(lambda: tab.secret_dialog.windowTitle() == "Secret set on the ECG module")
    shown = tab.secret_dialog.secret_field.text()
    assert len(shown) >= 32 and _module_secret(ecg, remote) == shown
    assert shown.encode() not in _stored_bytes(context.db)


def test_a_secret_the_module_refuses_is_kept_nowhere(ecg, window, qtbot, context):
    org, remote, reg_id = mirror(ecg, context.db)
    keep_token(context.store, ecg.url, "not-the-token")
    versions = ecg.secret_versions(remote)

    tab = _set_secret(window, qtbot, TYPED, "")

    qtbot.waitUntil(lambda: tab.findChild(QMessageBox, "error_message") is not None)
    sentence = tab.findChild(QMessageBox, "error_message").text()
    assert "refused the API token" in sentence and "nothing was changed here" in sentence
    assert ecg.secret_versions(remote) == versions
    assert _secret_versions_here(context.db, reg_id) == 0


def test_the_detail_shows_the_modules_secret_history_by_fingerprint(ecg, window, qtbot, context):
    org, remote, reg_id = mirror(ecg, context.db)
    keep_token(context.store, ecg.url, ecg.token)
    tab = _set_secret(window, qtbot, TYPED, "")
    qtbot.waitUntil(lambda: _secret_versions_here(context.db, reg_id) == 1)
    detail = tab.detail
    qtbot.waitUntil(lambda: detail.row is not None and len(detail.row["secrets"]) == 1)
    assert detail.module_secrets_button.isVisible() and not detail.module_secrets.isVisible()

    qtbot.mouseClick(detail.module_secrets_button, Qt.MouseButton.LeftButton)

    qtbot.waitUntil(lambda: detail.module_secrets.text().startswith("On the ECG module:"))
    lines = detail.module_secrets.text().splitlines()[1:]
    assert len(lines) == ecg.secret_versions(remote) == 2
    fingerprint = context.store.fingerprint(TYPED)  # read back from the module, never shown
    assert lines[0].startswith(f"v2 · {fingerprint} · made ") and lines[0].endswith("current")
    assert lines[1].startswith("v1 · ") and " · until " in lines[1]
    assert TYPED not in detail.module_secrets.text()
