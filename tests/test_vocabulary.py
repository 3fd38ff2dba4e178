"""Statuses and kinds are StrEnums, stored as the very strings older databases hold."""

import pytest
from sqlalchemy import text
from sqlalchemy.exc import StatementError

from webhook_desk.secrets import SecretStore
from webhook_desk.services import firing, registrations
from webhook_desk.services.registrations import RegistrationInput
from webhook_desk.vocabulary import AuthType, RegistrationStatus, ValidationState


def _registration(db) -> int:
    data = RegistrationInput(
        url="https://hooks.example.org/cp", study_id="189", events=["upload"], auth_type="hmac"
    )
    with db.session() as session:
        reg, _ = registrations.add(session, SecretStore(), data)
        firing.fire(session, "upload", to_registration=reg.id)
        return reg.id


def test_the_database_keeps_the_plain_strings_an_older_version_wrote(any_db, memory_keyring):
    _registration(any_db)
    with any_db.session() as session:
        stored = session.execute(
            text("SELECT status, validation_state, auth_type FROM registration")
        ).one()
        delivery = session.execute(text("SELECT status FROM delivery")).scalar_one()
    assert tuple(stored) == ("enabled", "pending", "hmac")
    assert delivery == "pending"


def test_a_registration_reads_back_as_typed_words(sqlite_db, memory_keyring):
    reg_id = _registration(sqlite_db)
    with sqlite_db.session() as session:
        reg = registrations.get(session, reg_id)
        assert reg.status is RegistrationStatus.ENABLED
        assert reg.validation_state is ValidationState.PENDING
        assert reg.auth_type is AuthType.HMAC
        assert registrations.as_dict(reg)["status"] == "enabled"


def test_a_misspelt_status_is_refused_instead_of_stored(sqlite_db, memory_keyring):
    reg_id = _registration(sqlite_db)
    with pytest.raises(StatementError, match="'enabeld' is not a valid RegistrationStatus"):
        with sqlite_db.session() as session:
            registrations.get(session, reg_id).status = "enabeld"
    with sqlite_db.session() as session:
        assert registrations.get(session, reg_id).status is RegistrationStatus.ENABLED
