"""Registrations as a coordinator manages them: rules, secrets in the keyring, audit trail."""

import re
from datetime import timedelta

import pytest

from webhook_desk.db.models import SecretVersion, utcnow
from webhook_desk.errors import InvalidInput, KeyringUnavailable, NotFound
from webhook_desk.secrets import SecretStore
from webhook_desk.services import audit, registrations
from webhook_desk.services.registrations import RegistrationInput


def _add(db, store, **fields):
    data = RegistrationInput(
        **{"url": "https://hooks.example.org/cp", "study_id": "189", "events": ["upload"], **fields}
    )
    with db.session() as session:
        reg, generated = registrations.add(session, store, data, secret=fields.pop("secret", None))
        return reg.id, generated


def test_hmac_registration_gets_a_generated_secret_kept_only_in_the_keyring(any_db, memory_keyring):
    reg_id, generated = _add(any_db, SecretStore(), auth_type="hmac")
    assert generated and len(generated) >= 32
    with any_db.session() as session:
        reg = registrations.get(session, reg_id)
        [version] = reg.secrets
        assert (version.kind, version.version) == ("hmac", 1)
        assert version.fingerprint != generated and version.fingerprint not in generated
        assert registrations.credential(session, SecretStore(), reg, "hmac") == generated
    assert generated in memory_keyring.values.values()


def test_rotation_keeps_the_old_secret_valid_for_the_grace_period(any_db, memory_keyring):
    store = SecretStore()
    reg_id, first = _add(any_db, store, auth_type="hmac")
    with any_db.session() as session:
        version, second = registrations.rotate_secret(session, store, reg_id, grace_hours=24)
        assert version.version == 2 and second != first
    with any_db.session() as session:
        reg = registrations.get(session, reg_id)
        now = [v for _, v in registrations.valid_secrets(session, store, reg, "hmac")]
        later = registrations.valid_secrets(
            session, store, reg, "hmac", utcnow() + timedelta(hours=25)
        )
        assert now == [second, first]
        assert [v for _, v in later] == [second]
        assert reg.validation_state == "pending"


@pytest.mark.parametrize(
    ("fields", "error", "message"),
    [
        ({"url": "hooks.example.org/cp"}, InvalidInput, "is not an absolute http(s) URL"),
        ({"url": "ftp://hooks.example.org/cp"}, InvalidInput, "is not an absolute http(s) URL"),
        ({"url": "http://hooks.example.org/cp"}, InvalidInput, "only a development registration"),
        ({"events": ["uplaod"]}, InvalidInput, "There is no event 'uplaod'"),
        (
            {"events": ["upload", "vitals.observations.created"]},
            InvalidInput,
            "'vitals.observations.created' is an ECG module event, so a study's registration "
            "cannot subscribe to it.",
        ),
        ({"url": "https://u:Winter2024!@hooks.example.org/"}, InvalidInput, "Basic auth"),
        ({"auth_type": "kerberos"}, InvalidInput, "Unknown auth type 'kerberos'"),
        ({"auth_type": "basic"}, InvalidInput, "needs a username"),
        ({"auth_type": "oauth2"}, InvalidInput, "need a token URL and a client id"),
        ({"organization_id": "org-1"}, InvalidInput, "not both"),
        ({"retry_schedule": "5s,soon"}, InvalidInput, "'soon' is not a retry wait"),
    ],
)
def test_a_registration_that_breaks_a_rule_is_refused_with_a_reason(
    sqlite_db, memory_keyring, fields, error, message
):
    with pytest.raises(error, match=re.escape(message)):
        _add(sqlite_db, SecretStore(), **fields)
    with sqlite_db.session() as session:
        assert registrations.list_all(session, include_archived=True) == []


def test_plain_http_is_fine_for_a_development_registration(sqlite_db, memory_keyring):
    reg_id, _ = _add(
        sqlite_db, SecretStore(), url="http://127.0.0.1:8787/hooks", is_development=True
    )
    with sqlite_db.session() as session:
        assert registrations.get(session, reg_id).url == "http://127.0.0.1:8787/hooks"


def test_without_a_keyring_nothing_is_written(sqlite_db):
    import keyring
    from keyring.backends import fail

    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        with pytest.raises(KeyringUnavailable, match="keyring.backends.fail.Keyring"):
            _add(sqlite_db, SecretStore(), auth_type="hmac")
    finally:
        keyring.set_keyring(previous)
    with sqlite_db.session() as session:
        assert registrations.list_all(session, include_archived=True) == []
        assert session.query(SecretVersion).count() == 0


def test_status_changes_follow_the_platform_and_are_audited(any_db, memory_keyring):
    reg_id, _ = _add(any_db, SecretStore())
    with any_db.session() as session:
        registrations.set_status(session, reg_id, "disable", reason="receiver down for maintenance")
        registrations.set_status(session, reg_id, "archive")
        with pytest.raises(InvalidInput, match="is archived; it cannot be enabled"):
            registrations.set_status(session, reg_id, "enable")
        registrations.set_status(session, reg_id, "restore")
        assert registrations.get(session, reg_id).status == "disabled"
    with any_db.session() as session:
        actions = [(e.action, e.reason) for e in reversed(audit.entries(session))]
    assert actions == [
        ("registration.add", None),
        ("registration.disable", "receiver down for maintenance"),
        ("registration.archive", None),
        ("registration.restore", None),
    ]


def test_changing_the_url_sends_the_registration_through_validation_again(
    sqlite_db, memory_keyring
):
    store = SecretStore()
    reg_id, _ = _add(sqlite_db, store)
    with sqlite_db.session() as session:
        reg = registrations.get(session, reg_id)
        registrations.record_validation(session, reg, True, None)
    with sqlite_db.session() as session:
        reg = registrations.update(session, store, reg_id, {"url": "https://new.example.org/h"})
        assert reg.validation_state == "pending"
        reg = registrations.update(session, store, reg_id, {"name": "renamed"})
        assert reg.validation_state == "pending"


def test_deleting_a_registration_removes_its_secrets_from_the_keyring(sqlite_db, memory_keyring):
    store = SecretStore()
    reg_id, generated = _add(sqlite_db, store, auth_type="standard-webhooks")
    assert generated.startswith("whsec_")
    with sqlite_db.session() as session:
        registrations.delete(session, store, reg_id, reason="study closed")
    assert generated not in memory_keyring.values.values()
    with (
        sqlite_db.session() as session,
        pytest.raises(NotFound, match=f"No registration with id {reg_id}"),
    ):
        registrations.get(session, reg_id)


@pytest.mark.parametrize("change", ["update", "disable", "rotate"])
def test_a_platform_mirror_is_read_only_here(sqlite_db, memory_keyring, change):
    store = SecretStore()
    reg_id, _ = _add(sqlite_db, store, auth_type="hmac")
    with sqlite_db.session() as session:
        registrations.get(session, reg_id).source = "centrepoint"
    with sqlite_db.session() as session, pytest.raises(InvalidInput, match="read-only here"):
        if change == "update":
            registrations.update(session, store, reg_id, {"url": "https://elsewhere.org/h"})
        elif change == "disable":
            registrations.set_status(session, reg_id, "disable")
        else:
            registrations.rotate_secret(session, store, reg_id)
    with sqlite_db.session() as session:
        reg = registrations.get(session, reg_id)
        assert (reg.url, reg.status, len(reg.secrets)) == (
            "https://hooks.example.org/cp",
            "enabled",
            1,
        )
