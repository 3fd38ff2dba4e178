"""Claiming, firing and retry timing on SQLite and PostgreSQL alike: who gets which delivery,
when a lease runs out, and what a user's mistakes in a schedule read like."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from webhook_desk.db.models import Delivery, utcnow
from webhook_desk.engine import claim, retry
from webhook_desk.errors import InvalidInput
from webhook_desk.secrets import SecretStore
from webhook_desk.services import catalog, firing, registrations
from webhook_desk.services.registrations import RegistrationInput


@pytest.fixture
def db(any_db, memory_keyring):
    with any_db.session() as session:
        catalog.sync_catalog(session)
    return any_db


def fire_adhoc(db, count=1) -> list[int]:
    with db.session() as session:
        return [
            d.id for d in firing.fire(session, "upload", url="http://127.0.0.1:9/", count=count)
        ]


def claim_ids(db, owner, limit=100, now=None, lease=claim.DEFAULT_LEASE) -> list[int]:
    with db.session() as session:
        return [c.id for c in claim.claim(session, owner, limit, lease, now=now)]


def test_two_workers_never_claim_the_same_delivery(db):
    fired = fire_adhoc(db, 10)
    first = claim_ids(db, "a", limit=6)
    second = claim_ids(db, "b", limit=6)
    assert len(first) == 6 and len(second) == 4
    assert sorted(first + second) == fired
    assert claim_ids(db, "c") == []


def test_a_lease_that_expires_makes_the_delivery_claimable_again(db):
    [delivery_id] = fire_adhoc(db)
    assert claim_ids(db, "crashed", lease=timedelta(seconds=30)) == [delivery_id]
    assert claim_ids(db, "other", now=utcnow() + timedelta(seconds=10)) == []
    assert claim_ids(db, "other", now=utcnow() + timedelta(seconds=31)) == [delivery_id]


def test_leases_of_a_killed_local_process_are_freed_at_once(db):
    [delivery_id] = fire_adhoc(db)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    owner = f"{claim.new_owner().split(':')[0]}:{dead.pid}:deadbeef"
    assert claim_ids(db, owner) == [delivery_id]
    with db.session() as session:
        assert claim.release_dead_local_owners(session) == 1
    assert claim_ids(db, "restarted") == [delivery_id]


def test_a_live_local_process_keeps_its_leases(db):
    fire_adhoc(db)
    claim_ids(db, claim.new_owner())  # this very process
    with db.session() as session:
        assert claim.release_dead_local_owners(session) == 0


def test_another_live_local_process_keeps_its_leases(db):
    fire_adhoc(db)
    other = subprocess.Popen(
        [sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE
    )
    try:
        claim_ids(db, f"{claim.new_owner().split(':')[0]}:{other.pid}:cafebabe")
        with db.session() as session:
            assert claim.release_dead_local_owners(session) == 0
    finally:
        other.communicate(b"")


def test_deliveries_wait_while_their_registration_is_disabled_or_not_validated(db):
    with db.session() as session:
        data = RegistrationInput(url="http://127.0.0.1:9/", is_development=True)
        reg, _ = registrations.add(session, SecretStore(), data)
        reg_id = reg.id
        firing.fire(session, "upload", to_registration=reg_id)
    assert claim_ids(db, "w") == []  # validation pending
    with db.session() as session:
        registrations.record_validation(session, registrations.get(session, reg_id), True, None)
        registrations.set_status(session, reg_id, "disable", reason="maintenance")
    assert claim_ids(db, "w") == []
    with db.session() as session:
        registrations.set_status(session, reg_id, "enable")
    assert len(claim_ids(db, "w")) == 1


def test_firing_at_a_disabled_registration_is_refused(db):
    with db.session() as session:
        data = RegistrationInput(url="http://127.0.0.1:9/", is_development=True)
        reg, _ = registrations.add(session, SecretStore(), data)
        registrations.set_status(session, reg.id, "disable")
        with pytest.raises(InvalidInput, match="is disabled; enable it to send it events"):
            firing.fire(session, "upload", to_registration=reg.id)


@pytest.mark.parametrize(
    ("payload", "study", "subject"),
    [
        ({"studyId": "189", "subjectId": "44732"}, "189", "44732"),
        ({"study_id": 1064, "subject_id": 19525}, "1064", "19525"),
        ({"StudyId": 7}, "7", None),
        ([1, 2], None, None),
    ],
)
def test_study_and_subject_are_read_whichever_way_the_event_spells_them(payload, study, subject):
    assert firing.identifiers(payload) == (study, subject)


def test_fired_deliveries_carry_study_and_subject_for_the_history_filters(db):
    body = json.dumps({"status": "started", "uploadId": "1", "subjectId": "9", "studyId": "42"})
    with db.session() as session:
        [fired] = firing.fire(session, "upload", url="http://127.0.0.1:9/", payload=body)
        stored = session.scalars(select(Delivery).where(Delivery.id == fired.id)).one()
        assert (stored.study_id, stored.subject_id, stored.payload) == ("42", "9", body)


def test_the_default_schedule_is_the_platforms():
    waits = retry.parse_schedule(None)
    assert [w.total_seconds() for w in waits] == [5, 300, 1800, 7200, 18000, 36000, 36000]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("5s,5x", "'5x' is not a retry wait; write a number and s, m, h or d"),
        ("soon", "'soon' is not a retry wait"),
        ("5s,,5m", "'' is not a retry wait"),
    ],
)
def test_a_bad_retry_schedule_is_explained(text, message):
    with pytest.raises(InvalidInput, match=message):
        retry.parse_schedule(text)


def test_retry_after_as_seconds_or_a_date_and_capped():
    now = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    assert retry.retry_after("120", now) == timedelta(seconds=120)
    assert retry.retry_after("Thu, 01 Jan 2026 12:00:30 GMT", now) == timedelta(seconds=30)
    assert retry.retry_after("999999", now) == retry.MAX_RETRY_AFTER
    assert retry.retry_after("whenever", now) is None


def test_jitter_stays_within_a_fifth_and_a_used_up_schedule_ends():
    now = datetime(2026, 1, 1, tzinfo=UTC)
    schedule = retry.parse_schedule("10m")
    for _ in range(50):
        wait = retry.next_attempt_at(schedule, 1, now) - now
        assert timedelta(minutes=8) <= wait <= timedelta(minutes=12)
    assert retry.next_attempt_at(schedule, 2, now) is None
    later = retry.next_attempt_at(schedule, 1, now, retry_after_wait=timedelta(hours=1))
    assert later == now + timedelta(hours=1)


def test_cancelled_deliveries_of_a_registration_are_never_sent(db):
    with db.session() as session:
        data = RegistrationInput(url="http://127.0.0.1:9/", is_development=True)
        reg, _ = registrations.add(session, SecretStore(), data)
        registrations.record_validation(session, reg, True, None)
        firing.fire(session, "upload", to_registration=reg.id, count=3)
        assert registrations.cancel_pending(session, reg.id, "The registration was deleted.") == 3
        registrations.delete(session, SecretStore(), reg.id)
    assert claim_ids(db, "w") == []
    with db.session() as session:
        errors = set(session.scalars(select(Delivery.error)))
    assert errors == {"The registration was deleted."}


def test_health_hears_of_a_registration_on_its_way_to_being_disabled(db):
    from webhook_desk.engine import streaks

    with db.session() as session:
        data = RegistrationInput(url="http://127.0.0.1:9/", is_development=True, name="lab")
        reg, _ = registrations.add(session, SecretStore(), data)
        reg.failing_since = utcnow() - timedelta(days=2)
        reg.failure_streak = 40
        calm, _ = registrations.add(session, SecretStore(), data)
        calm.failing_since = utcnow() - timedelta(hours=2)  # not yet worth a warning
    with db.session() as session:
        [warning] = streaks.on_the_way_to_disabling(session)
    assert warning["id"] == reg.id and warning["failure_streak"] == 40
    assert warning["message"].startswith(f"Registration {reg.id} has failed every delivery since")
    assert "it will be disabled at" in warning["message"]
