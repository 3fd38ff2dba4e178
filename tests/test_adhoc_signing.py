"""A tester fires at a URL (usually the built-in receiver) and wants it signed, as a real
registration's deliveries would be: with a chosen registration's secret, or with the
throwaway secret the receiver knows."""

from __future__ import annotations

import pytest
from receiver_client import captured
from sqlalchemy import select

from webhook_desk import signing
from webhook_desk.db.models import Delivery
from webhook_desk.errors import InvalidInput
from webhook_desk.secrets import SecretStore
from webhook_desk.services import firing, registrations
from webhook_desk.services.delivery_engine import new_engine
from webhook_desk.services.registrations import RegistrationInput


@pytest.fixture
def db(catalog_db):
    return catalog_db


@pytest.fixture
def receiver(built_in_receiver):
    return built_in_receiver


def register(db, auth_type, secret=None, url="https://hooks.example.org/x") -> int:
    username = "centrepoint" if auth_type == "basic" else None
    data = RegistrationInput(url=url, auth_type=auth_type, events=["upload"], username=username)
    with db.session() as session:
        reg, _ = registrations.add(session, SecretStore(), data, secret=secret)
        return reg.id


def fire_and_deliver(db, url, **signing_choice) -> dict:
    with db.session() as session:
        [delivery] = firing.fire(session, "upload", url=url, **signing_choice)
        uuid = delivery.uuid
    new_engine(db, SecretStore(), workers=1).run_until_idle()
    return uuid


def test_the_throwaway_secret_signs_and_the_receiver_verifies_it(db, receiver):
    SecretStore().throwaway_hmac(create=True)
    receiver.refresh_secrets()
    uuid = fire_and_deliver(db, receiver.url + "hooks/ad-hoc", sign_throwaway=True)
    row = next(r for r in captured(receiver) if r["delivery_id"] == uuid)
    assert (row["signature"], row["secret_version"]) == ("valid", "throwaway")


def test_a_chosen_registrations_secret_signs_an_ad_hoc_delivery(db, receiver):
    reg_id = register(db, "hmac", secret="the lab's shared secret")
    uuid = fire_and_deliver(db, receiver.url + "hooks/ad-hoc", sign_as=reg_id)
    row = next(r for r in captured(receiver) if r["delivery_id"] == uuid)
    expected = signing.actigraph_signature("the lab's shared secret", row["body"].encode())
    assert row["headers"]["X-ActiGraph-Signature"] == expected


def test_unsigned_stays_the_default(db, receiver):
    uuid = fire_and_deliver(db, receiver.url + "hooks/ad-hoc")
    row = next(r for r in captured(receiver) if r["delivery_id"] == uuid)
    assert "X-ActiGraph-Signature" not in row["headers"]


@pytest.mark.parametrize(
    ("choice", "message"),
    [
        (
            {"sign_as": "basic-reg", "sign_throwaway": False},
            "has no signing secret (its authentication is basic); choose one that uses HMAC "
            "or Standard Webhooks.",
        ),
        (
            {"sign_as": "hmac-reg", "sign_throwaway": True},
            "Sign with a registration's secret or the throwaway one, not both.",
        ),
    ],
)
def test_a_signing_choice_that_cannot_work_is_refused_in_words(db, choice, message):
    ids = {
        "basic-reg": register(db, "basic", secret="pw", url="https://a.example.org/x"),
        "hmac-reg": register(db, "hmac"),
    }
    with db.session() as session, pytest.raises(InvalidInput) as refused:
        firing.fire(
            session,
            "upload",
            url="http://127.0.0.1:9/",
            sign_as=ids[choice["sign_as"]],
            sign_throwaway=choice["sign_throwaway"],
        )
    assert str(refused.value).endswith(message)


def test_fire_from_the_command_line_signs_with_the_throwaway_secret(cli, sqlite_db, memory_keyring):
    result = cli("fire", "upload", "--url", "http://127.0.0.1:9/x", "--sign-with", "throwaway")
    assert result.code == 0, result.err
    assert SecretStore().throwaway_hmac() is not None
    with sqlite_db.session() as session:
        delivery = session.scalars(select(Delivery)).one()
        assert delivery.signing_throwaway


def test_a_bad_sign_with_is_one_line(cli, sqlite_db, memory_keyring):
    result = cli("fire", "upload", "--url", "http://127.0.0.1:9/x", "--sign-with", "lab")
    assert result.code != 0
    assert result.err.strip() == (
        "webhook-desk: --sign-with takes a registration id or 'throwaway', not 'lab'."
    )
