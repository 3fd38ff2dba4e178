"""The receiver checks signatures made by independent code and says which secret matched."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from receiver_client import (
    actigraph_headers,
    exchange,
    last_capture,
    legacy_headers,
    post,
    receivers,
    standard_headers,
    status_of,
)

from webhook_desk.secrets import SecretStore
from webhook_desk.services import catalog, registrations
from webhook_desk.services.registrations import RegistrationInput
from webhook_desk.signing import KnownSecret, new_whsec_secret

HMAC_SECRET = "correct horse battery staple"
OTHER_SECRET = "not the one the receiver knows"
WHSEC = new_whsec_secret()
BODY = json.dumps({"studyId": "1234", "subjectId": "5678", "status": "completed"}).encode()


@pytest.fixture
def receive(sqlite_db):
    yield from receivers(sqlite_db)


def known(*values):
    return [
        KnownSecret(f"stdin {n}", "standard-webhooks" if v.startswith("whsec_") else "hmac", v)
        for n, v in enumerate(values, start=1)
    ]


@pytest.mark.parametrize(
    "sign, scheme",
    [(actigraph_headers, "actigraph"), (legacy_headers, "actigraph-legacy")],
)
def test_hmac_signed_delivery_is_valid_and_names_the_secret(receive, sign, scheme):
    receiver = receive(known(OTHER_SECRET, HMAC_SECRET))
    assert post(receiver, body=BODY, headers=sign(HMAC_SECRET, BODY)).status_code == 200
    row = last_capture(receiver)
    assert (row["signature"], row["signature_scheme"], row["secret_version"]) == (
        "valid",
        scheme,
        "stdin 2",
    )


@pytest.mark.parametrize("sign", [actigraph_headers, legacy_headers])
def test_delivery_signed_with_an_unknown_secret_is_invalid(receive, sign):
    receiver = receive(known(HMAC_SECRET))
    post(receiver, body=BODY, headers=sign(OTHER_SECRET, BODY))
    row = last_capture(receiver)
    assert (row["signature"], row["secret_version"]) == ("invalid", None)


def test_body_changed_after_signing_is_invalid(receive):
    receiver = receive(known(HMAC_SECRET))
    post(receiver, body=BODY + b" ", headers=actigraph_headers(HMAC_SECRET, BODY))
    assert last_capture(receiver)["signature"] == "invalid"


def test_unsigned_delivery_is_missing_when_the_receiver_knows_secrets(receive):
    receiver = receive(known(HMAC_SECRET))
    post(receiver, body=BODY)
    row = last_capture(receiver)
    assert (row["signature"], row["signature_scheme"]) == ("missing", None)


def test_signed_delivery_is_unchecked_when_no_secret_is_known(receive):
    receiver = receive()
    post(receiver, body=BODY, headers=actigraph_headers(HMAC_SECRET, BODY))
    row = last_capture(receiver)
    assert (row["signature"], row["signature_scheme"]) == ("unchecked", "actigraph")


def test_standard_webhooks_signature_from_the_reference_library_is_valid(receive):
    receiver = receive(known(HMAC_SECRET, WHSEC))
    msg_id = f"msg_{uuid.uuid4().hex}"
    post(receiver, body=BODY, headers=standard_headers(WHSEC, msg_id, BODY))
    row = last_capture(receiver)
    assert (row["signature"], row["signature_scheme"], row["secret_version"]) == (
        "valid",
        "standard-webhooks",
        "stdin 2",
    )
    assert row["delivery_id"] == msg_id


def test_standard_webhooks_signature_with_another_key_is_invalid(receive):
    receiver = receive(known(WHSEC))
    post(receiver, body=BODY, headers=standard_headers(new_whsec_secret(), "msg_1", BODY))
    assert last_capture(receiver)["signature"] == "invalid"


@pytest.mark.parametrize(
    "age, verdict",
    [
        (timedelta(minutes=4), "valid"),
        (timedelta(minutes=-4), "valid"),
        (timedelta(minutes=6), "invalid"),
        (timedelta(minutes=-6), "invalid"),
    ],
)
def test_standard_webhooks_timestamp_must_be_within_five_minutes(receive, age, verdict):
    receiver = receive(known(WHSEC))
    at = datetime.now(UTC) - age
    post(receiver, body=BODY, headers=standard_headers(WHSEC, "msg_1", BODY, at))
    assert last_capture(receiver)["signature"] == verdict


@pytest.mark.parametrize(
    "headers, status",
    [
        (actigraph_headers(HMAC_SECRET, BODY), 200),
        (actigraph_headers(OTHER_SECRET, BODY), 401),
        ({}, 401),
    ],
    ids=["valid", "invalid", "missing"],
)
def test_receiver_requiring_signatures_answers_401_to_bad_or_missing(receive, headers, status):
    receiver = receive(known(HMAC_SECRET), require_signature=True)
    response = post(receiver, body=BODY, headers=headers)
    assert response.status_code == status
    assert last_capture(receiver)["status_code"] == status


def _register(db, url, auth_type, secret):
    store = SecretStore()
    with db.session() as session:
        catalog.sync_catalog(session)
        data = RegistrationInput(url=url, auth_type=auth_type, is_development=True)
        reg, _ = registrations.add(session, store, data, secret=secret)
        return reg.id


def test_secrets_of_registrations_pointing_at_the_receiver_are_known_by_version(
    sqlite_db, memory_keyring, receive
):
    receiver = receive()
    port = receiver.address[1]
    here = _register(sqlite_db, f"http://localhost:{port}/hooks", "hmac", "first secret")
    elsewhere = _register(sqlite_db, f"http://localhost:{port + 1}/", "hmac", HMAC_SECRET)
    sw = _register(sqlite_db, f"http://127.0.0.1:{port}/sw", "standard-webhooks", WHSEC)
    with sqlite_db.session() as session:
        registrations.rotate_secret(session, SecretStore(), here, secret="second secret")
    receiver.refresh_secrets()

    post(receiver, body=BODY, headers=actigraph_headers("first secret", BODY))
    assert last_capture(receiver)["secret_version"] == f"registration {here} v1"
    post(receiver, body=BODY, headers=actigraph_headers("second secret", BODY))
    assert last_capture(receiver)["secret_version"] == f"registration {here} v2"
    post(receiver, body=BODY, headers=standard_headers(WHSEC, "msg_2", BODY))
    assert last_capture(receiver)["secret_version"] == f"registration {sw} v1"
    post(receiver, body=BODY, headers=actigraph_headers(HMAC_SECRET, BODY))
    assert last_capture(receiver)["signature"] == "invalid", f"registration {elsewhere} leaked"


@pytest.mark.parametrize(
    "header_lines",
    [
        b"X-ActiGraph-Signature: \xc3\xa9t\xc3\xa9",
        b"X-ActiGraph-Signature: sha1=\xc3\xa9",
        b"webhook-id: m\r\nwebhook-timestamp: \xc2\xb2\r\nwebhook-signature: v1,abc",
        b"webhook-id: m\r\nwebhook-timestamp: %d\r\nwebhook-signature: v1,\xc3\xa9"
        % int(datetime.now(UTC).timestamp()),
    ],
    ids=["non-ascii signature", "non-ascii legacy", "superscript timestamp", "non-ascii v1"],
)
def test_garbled_signature_headers_are_invalid_not_a_server_error(receive, header_lines):
    receiver = receive(known(HMAC_SECRET, WHSEC))
    request = b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n%s\r\n\r\n{}" % header_lines
    assert status_of(exchange(receiver, request)) == 200
    assert last_capture(receiver)["signature"] == "invalid"


def test_a_secret_missing_from_the_keyring_does_not_hide_the_others(
    sqlite_db, memory_keyring, receive
):
    receiver = receive()
    port = receiver.address[1]
    lost = _register(sqlite_db, f"http://localhost:{port}/a", "hmac", "lost secret")
    kept = _register(sqlite_db, f"http://localhost:{port}/b", "hmac", HMAC_SECRET)
    del memory_keyring.values[("webhook-desk", f"registration-{lost}/hmac/v1")]
    receiver.refresh_secrets()

    post(receiver, body=BODY, headers=actigraph_headers(HMAC_SECRET, BODY))
    assert last_capture(receiver)["secret_version"] == f"registration {kept} v1"
    assert f"registration-{lost}/hmac/v1 is missing from the keyring" in receiver.problem
