"""A tester points a development registration at the built-in receiver: the app's own
handshake and deliveries arrive there, verified against the registration's secret."""

from __future__ import annotations

import pytest
from receiver_client import captured

from webhook_desk.engine.sender import Sender, Timeouts
from webhook_desk.receiver.answers import ReceiverOptions
from webhook_desk.secrets import SecretStore
from webhook_desk.services import firing, registrations
from webhook_desk.services.delivery_engine import new_engine, validate
from webhook_desk.services.registrations import RegistrationInput


@pytest.fixture
def db(catalog_db):
    return catalog_db


@pytest.fixture
def receiver(built_in_receiver):
    return built_in_receiver


def register(db, url, auth_type, secret=None) -> int:
    data = RegistrationInput(url=url, auth_type=auth_type, is_development=True)
    with db.session() as session:
        reg, _ = registrations.add(session, SecretStore(), data, secret=secret)
        return reg.id


def test_registration_pointing_at_the_receiver_passes_validation(db, receiver):
    reg_id = register(db, receiver.url + "study-1", "hmac", "shared secret")
    result = validate(db, SecretStore(), reg_id, sender=Sender(Timeouts(connect=1, total=3)))
    assert (result.ok, result.error) == (True, None)
    assert captured(receiver)[-1]["event"] == "validation"


def test_receiver_failing_validation_makes_the_handshake_fail_with_a_reason(db, receiver):
    receiver.options = ReceiverOptions(fail_validation=True)
    reg_id = register(db, receiver.url + "study-1", "none")
    result = validate(db, SecretStore(), reg_id, sender=Sender(Timeouts(connect=1, total=3)))
    assert not result.ok
    assert "did not echo the X-ActiGraph-Hook-Secret header" in result.error


@pytest.mark.parametrize("auth_type", ["hmac", "standard-webhooks"])
def test_deliveries_from_the_engine_are_verified_with_the_registrations_secret(
    db, receiver, auth_type
):
    reg_id = register(db, receiver.url + "hooks", auth_type)
    receiver.refresh_secrets()
    with db.session() as session:
        sent = firing.fire(session, "upload", to_registration=reg_id, count=3)
        delivery_ids = [d.uuid for d in sent]
    new_engine(db, SecretStore(), timeouts=Timeouts(connect=1, total=3)).run_until_idle()
    rows = [row for row in captured(receiver) if row["event"] == "upload"]
    assert sorted(row["delivery_id"] for row in rows) == sorted(delivery_ids)  # 4 workers
    assert {(row["signature"], row["secret_version"]) for row in rows} == {
        ("valid", f"registration {reg_id} v1")
    }


def test_a_registration_added_while_the_receiver_runs_is_verified_at_once(
    db, receiver, monkeypatch
):
    """No waiting for the periodic reload: a signed request no known secret checks makes the
    receiver look again (at most once a second; the test lifts that limit)."""
    import webhook_desk.receiver.verdicts as verdicts

    monkeypatch.setattr(verdicts, "STALE_AFTER_S", 0.0)
    reg_id = register(db, receiver.url + "late", "hmac", "added after the start")
    with db.session() as session:
        [delivery] = firing.fire(session, "upload", to_registration=reg_id)
        registrations.get(session, reg_id).validation_state = "validated"
    new_engine(db, SecretStore(), workers=1).run_until_idle()
    last = captured(receiver)[-1]
    assert (last["delivery_id"], last["signature"], last["secret_version"]) == (
        delivery.uuid,
        "valid",
        f"registration {reg_id} v1",
    )


def test_requests_arriving_together_after_a_new_registration_are_all_verified(db, receiver):
    """The first request starts the reload; the others wait for it instead of being judged
    on the old secrets (they read "unchecked" before)."""
    reg_id = register(db, receiver.url + "together", "hmac", "added while running")
    receiver.book.refreshed_at = float("-inf")  # the secrets are old, as after a while
    with db.session() as session:
        sent = firing.fire(session, "upload", to_registration=reg_id, count=8)
        registrations.get(session, reg_id).validation_state = "validated"
        uuids = {d.uuid for d in sent}
    new_engine(db, SecretStore(), workers=8).run_until_idle()
    verdicts = {r["signature"] for r in captured(receiver) if r["delivery_id"] in uuids}
    assert verdicts == {"valid"}
