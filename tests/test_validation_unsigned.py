"""Validation requests as the platform sends them: unsigned. Our sender leaves them unsigned
unless told otherwise, and the built-in receiver requiring signatures still answers one."""

from __future__ import annotations

import pytest
from receiver_client import actigraph_headers, captured, post, receivers

from webhook_desk.engine.sender import Sender, Timeouts
from webhook_desk.secrets import SecretStore
from webhook_desk.services import catalog, registrations
from webhook_desk.services.delivery_engine import validate
from webhook_desk.services.registrations import RegistrationInput
from webhook_desk.signing import KnownSecret

SECRET = "shared secret"
FAST = Sender(Timeouts(connect=1, total=3))


@pytest.fixture
def db(sqlite_db, memory_keyring):
    with sqlite_db.session() as session:
        catalog.sync_catalog(session)
    return sqlite_db


@pytest.fixture
def receive(db):
    yield from receivers(db)


def register(db, url, auth_type="hmac") -> int:
    """An HMAC registration with SECRET, or one whose secret is generated."""
    data = RegistrationInput(url=url, auth_type=auth_type, is_development=True)
    secret = SECRET if auth_type == "hmac" else None
    with db.session() as session:
        return registrations.add(session, SecretStore(), data, secret=secret)[0].id


def test_a_handshake_is_unsigned_by_default_and_passes_a_receiver_requiring_signatures(db, receive):
    receiver = receive(require_signature=True)
    reg_id = register(db, receiver.url + "hooks")
    receiver.refresh_secrets()  # it knows the secret, so an unsigned request reads "missing"
    result = validate(db, SecretStore(), reg_id, sender=FAST)
    assert (result.ok, result.error) == (True, None)
    [handshake] = captured(receiver)
    assert "X-ActiGraph-Signature" not in handshake["headers"]
    assert (handshake["signature"], handshake["status_code"]) == ("missing", 200)


@pytest.mark.parametrize("auth_type", ["hmac", "standard-webhooks"])
def test_a_handshake_is_signed_when_settings_ask(db, receive, auth_type):
    receiver = receive()
    reg_id = register(db, receiver.url + "hooks", auth_type)
    receiver.refresh_secrets()
    assert validate(db, SecretStore(), reg_id, sender=FAST, signed=True).ok
    [handshake] = captured(receiver)
    assert handshake["signature"] == "valid"


def test_a_receiver_requiring_signatures_refuses_unsigned_events_and_badly_signed_handshakes(
    receive,
):
    receiver = receive([KnownSecret("stdin 1", "hmac", SECRET)], require_signature=True)
    handshake = {"X-ActiGraph-Event": "validation", "X-ActiGraph-Hook-Secret": "code-1"}
    answered = post(receiver, headers=handshake)
    assert answered.status_code == 200
    assert answered.headers["X-ActiGraph-Hook-Secret"] == "code-1"
    assert post(receiver, headers={"X-ActiGraph-Event": "upload"}).status_code == 401
    forged = handshake | actigraph_headers("not the secret", b"{}")
    assert post(receiver, headers=forged).status_code == 401
