"""A secret's fingerprint tells versions apart without giving the secret away: it is keyed
with a per-installation key kept in the keyring, so the database alone offers nothing to
test guesses against (an unkeyed SHA-256 prefix gave a Basic password away in 1,759 guesses)."""

import hashlib

import keyring
from sqlalchemy import create_engine, text

from webhook_desk.db.migrate import upgrade
from webhook_desk.secrets import FINGERPRINT_KEY
from webhook_desk.services import registrations
from webhook_desk.services.registrations import RegistrationInput
from webhook_desk.services.startup import open_database
from webhook_desk.settings import KEYRING_SERVICE
from webhook_desk.throwaway_keyring import ThrowawayKeyring

PASSWORD = "Winter2024!"
UNKEYED = hashlib.sha256(PASSWORD.encode()).hexdigest()[:12]


def _basic_registration(url: str) -> str:
    """A Basic-auth registration with PASSWORD in a new database; its secret's fingerprint."""
    from webhook_desk.secrets import SecretStore

    db = open_database(url)
    data = RegistrationInput(
        url="https://hooks.example.org/cp", study_id="S1", auth_type="basic", username="lab"
    )
    with db.session() as session:
        reg, _ = registrations.add(session, SecretStore(), data, secret=PASSWORD)
        session.flush()
        found = reg.secrets[0].fingerprint
    db.dispose()
    return found


def _as_installation(backend, url: str) -> str:
    previous = keyring.get_keyring()
    keyring.set_keyring(backend)
    try:
        return _basic_registration(url)
    finally:
        keyring.set_keyring(previous)


def test_the_same_password_has_a_different_fingerprint_on_another_installation(tmp_path):
    here, there = ThrowawayKeyring(), ThrowawayKeyring()
    first = _as_installation(here, f"sqlite:///{tmp_path / 'a.sqlite3'}")
    again = _as_installation(here, f"sqlite:///{tmp_path / 'b.sqlite3'}")
    elsewhere = _as_installation(there, f"sqlite:///{tmp_path / 'c.sqlite3'}")
    assert len(first) == 12 and int(first, 16) >= 0
    assert first != UNKEYED and elsewhere != UNKEYED
    assert first == again  # one installation tells its versions apart consistently
    assert first != elsewhere


def test_the_installation_key_lives_in_the_real_secret_service(secret_service, tmp_path):
    found = _basic_registration(f"sqlite:///{tmp_path / 'a.sqlite3'}")
    key = keyring.get_password(KEYRING_SERVICE, FINGERPRINT_KEY)
    assert key and len(key) == 64
    assert found != UNKEYED and len(found) == 12


def _database_from_before_keyed_fingerprints(path) -> str:
    """A database at revision 0003 holding an unkeyed fingerprint, in a version and in the
    audit entry of a rotation, as the release before this one wrote them."""
    url = f"sqlite:///{path}"
    engine = create_engine(url)
    upgrade(engine, "0003")
    with engine.begin() as c:
        c.execute(
            text(
                "INSERT INTO registration (id, name, url, event_version, auth_type, is_development,"
                " status, validation_state, failure_streak, source, created_at, updated_at,"
                " username) VALUES (7, 'Sleep lab', 'https://hooks.example.org/cp', 'v1', 'basic',"
                " 0, 'enabled', 'validated', 0, 'local', '2026-01-02 03:04:05',"
                " '2026-01-02 03:04:05', 'lab')"
            )
        )
        c.execute(
            text(
                "INSERT INTO secret_version (registration_id, kind, version, fingerprint,"
                " created_at) VALUES (7, 'basic-password', 1, :fp, '2026-01-02 03:04:05')"
            ),
            {"fp": UNKEYED},
        )
        c.execute(
            text(
                "INSERT INTO audit_entry (at, actor, action, entity_type, entity_id, after)"
                " VALUES ('2026-01-02 03:04:05', 'ana', 'secret.rotate', 'registration', '7',"
                " :after)"
            ),
            {"after": f'{{"kind": "basic-password", "version": 1, "fingerprint": "{UNKEYED}"}}'},
        )
    engine.dispose()
    return url


def test_an_upgrade_erases_unkeyed_fingerprints_and_keys_them_again(cli, tmp_path, memory_keyring):
    path = tmp_path / "old.sqlite3"
    url = _database_from_before_keyed_fingerprints(path)
    memory_keyring.set_password(KEYRING_SERVICE, "registration-7/basic-password/v1", PASSWORD)

    open_database(url).dispose()  # the upgrade, as any start does

    assert UNKEYED.encode() not in path.read_bytes()
    [secret] = cli("registrations", "show", "7", "--json", db=url).json()["secrets"]
    assert secret["fingerprint"] != UNKEYED and len(secret["fingerprint"]) == 12
    [entry] = cli("audit", "--json", db=url).json()
    assert entry["after"] == {"kind": "basic-password", "version": 1, "fingerprint": None}


def test_a_fingerprint_whose_secret_the_keyring_lacks_is_shown_as_unknown(
    cli, tmp_path, memory_keyring
):
    path = tmp_path / "old.sqlite3"
    url = _database_from_before_keyed_fingerprints(path)

    open_database(url).dispose()
    shown = cli("registrations", "show", "7", db=url)

    assert shown.code == 0
    assert "basic-password v1 unknown (valid)" in shown.out
    assert UNKEYED not in shown.out and UNKEYED.encode() not in path.read_bytes()
