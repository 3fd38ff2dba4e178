"""The delivery engine against real HTTP receivers on 127.0.0.1: what a receiver sees, what the
history records, and that misbehaving receivers neither lose deliveries nor stall others."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import socket
import threading
import time
import uuid
from datetime import timedelta

import pytest
from recording_server import HANG, RESET, RecordingServer, Reply
from sqlalchemy import select
from standardwebhooks.webhooks import Webhook

from webhook_desk.db.models import Attempt, AuditEntry, Delivery, Registration
from webhook_desk.engine.sender import Timeouts
from webhook_desk.engine.worker import Callbacks
from webhook_desk.secrets import SecretStore
from webhook_desk.services import catalog, firing, registrations
from webhook_desk.services.delivery_engine import new_engine
from webhook_desk.services.registrations import RegistrationInput

FAST = Timeouts(connect=1.0, total=2.0)
PLATFORM_HEADERS = {
    "Content-Type",
    "User-Agent",
    "X-Request-Id",
    "X-ActiGraph-Webhook-Id",
    "X-ActiGraph-Event",
    "X-ActiGraph-Delivery",
    "X-Client-Cert-Used",
    "traceparent",
}
TRANSPORT_HEADERS = {"Host", "Content-Length", "Accept-Encoding"}


@pytest.fixture
def db(any_db, memory_keyring):
    with any_db.session() as session:
        catalog.sync_catalog(session)
    return any_db


def register(db, url, auth="none", secret=None, **fields) -> tuple[int, str | None]:
    data = RegistrationInput(url=url, is_development=True, auth_type=auth, **fields)
    with db.session() as session:
        reg, generated = registrations.add(session, SecretStore(), data, secret=secret)
        return reg.id, secret or generated


def fire(db, event="upload", count=1, **target) -> list[int]:
    with db.session() as session:
        return [d.id for d in firing.fire(session, event, count=count, **target)]


def deliveries(db) -> list[Delivery]:
    with db.session() as session:
        return list(
            session.scalars(select(Delivery).where(~Delivery.is_validation).order_by(Delivery.id))
        )


def attempts(db, delivery_id) -> list[Attempt]:
    with db.session() as session:
        query = select(Attempt).where(Attempt.delivery_id == delivery_id).order_by(Attempt.number)
        return list(session.scalars(query))


def run(db, **options):
    options.setdefault("timeouts", FAST)
    return new_engine(db, SecretStore(), **options).run_until_idle()


def run_until(db, condition, timeout=30.0, **options):
    """Run the engine in the background until `condition()` holds (polled), then stop it.

    engine.condition_met_after says how many seconds that took (stopping not included)."""
    options.setdefault("timeouts", FAST)
    options.setdefault("poll_interval", 0.05)
    engine = new_engine(db, SecretStore(), **options)
    stop = threading.Event()
    thread = threading.Thread(target=engine.run_forever, args=(stop,))
    thread.start()
    started = time.monotonic()
    deadline = started + timeout
    try:
        while not condition():
            assert time.monotonic() < deadline, "the condition did not hold in time"
            time.sleep(0.02)
        engine.condition_met_after = time.monotonic() - started
    finally:
        stop.set()
        thread.join(30)
    return engine


def test_hmac_delivery_carries_the_platform_headers_and_a_signature_the_receiver_recomputes(db):
    with RecordingServer() as receiver:
        reg_id, secret = register(db, receiver.url(), auth="hmac", study_id="189")
        [delivery_id] = fire(db, to_registration=reg_id)
        run(db)
        [request] = receiver.requests()

    assert request.header_names == PLATFORM_HEADERS | TRANSPORT_HEADERS | {"X-ActiGraph-Signature"}
    stored = deliveries(db)[0]
    assert request.header("Content-Type") == "application/json; charset=utf-8"
    trace = rf"00-{uuid.UUID(stored.uuid).hex}-[0-9a-f]{{16}}-00"  # W3C, the delivery's trace
    assert re.fullmatch(trace, request.header("traceparent"))
    assert request.header("User-Agent") == "ActiGraph-Hookshot/1.0"
    assert request.header("X-ActiGraph-Webhook-Id") == str(reg_id)
    assert request.header("X-ActiGraph-Event") == "upload"
    assert request.header("X-ActiGraph-Delivery") == stored.uuid
    assert request.header("X-Client-Cert-Used") == "False"
    expected = base64.b64encode(
        hmac.new(secret.encode("utf-8"), request.body, hashlib.sha256).digest()
    ).decode()
    assert request.header("X-ActiGraph-Signature") == expected
    assert request.body.decode() == stored.payload
    assert stored.status == "succeeded" and stored.response_code == 200
    assert stored.study_id == "189"
    [attempt] = attempts(db, delivery_id)
    assert attempt.request_headers["X-ActiGraph-Delivery"] == stored.uuid
    assert attempt.response_code == 200 and attempt.response_body == "ok"


def test_standard_webhooks_signatures_verify_with_the_reference_library_during_rotation(db):
    old = "whsec_" + base64.b64encode(b"o" * 24).decode()
    new = "whsec_" + base64.b64encode(b"n" * 24).decode()
    with RecordingServer() as receiver:
        reg_id, _ = register(db, receiver.url(), auth="standard-webhooks", secret=old)
        fire(db, to_registration=reg_id)
        run(db)
        with db.session() as session:
            registrations.rotate_secret(session, SecretStore(), reg_id, secret=new)
        fire(db, to_registration=reg_id)
        run(db)
        first, second = receiver.requests()

    headers = {k: v for k, v in first.headers}
    Webhook(old).verify(first.body, headers)
    rotated = {k: v for k, v in second.headers}
    assert len(rotated["webhook-signature"].split(" ")) == 2
    Webhook(old).verify(second.body, rotated)  # receivers not yet moved over still accept
    Webhook(new).verify(second.body, rotated)
    assert rotated["webhook-id"] == second.header("X-ActiGraph-Delivery")


def test_hmac_header_carries_the_newest_secret_after_rotation(db):
    with RecordingServer() as receiver:
        reg_id, _ = register(db, receiver.url(), auth="hmac", secret="old-secret")
        with db.session() as session:
            registrations.rotate_secret(session, SecretStore(), reg_id, secret="new-secret")
        fire(db, to_registration=reg_id)
        run(db)
        [request] = receiver.requests()
    digest = hmac.new(b"new-secret", request.body, hashlib.sha256).digest()
    assert request.header("X-ActiGraph-Signature") == base64.b64encode(digest).decode()


def test_basic_auth_is_sent_but_stored_redacted(db):
    with RecordingServer() as receiver:
        reg_id, _ = register(db, receiver.url(), auth="basic", secret="pw-123", username="ann")
        [delivery_id] = fire(db, to_registration=reg_id)
        run(db)
        [request] = receiver.requests()
    assert request.header("Authorization") == "Basic " + base64.b64encode(b"ann:pw-123").decode()
    [attempt] = attempts(db, delivery_id)
    assert attempt.request_headers["Authorization"] == "Basic [redacted]"
    assert "pw-123" not in json.dumps(attempt.request_headers)


def test_oauth2_token_is_cached_and_fetched_again_once_after_a_401(db):
    issued = []

    def token_or_event(request):
        if request.path == "/token":
            issued.append(f"token-{len(issued) + 1}")
            body = json.dumps({"access_token": issued[-1], "expires_in": 3600}).encode()
            return Reply(200, {"Content-Type": "application/json"}, body)
        # The first token is "revoked": only the second one is accepted.
        return Reply() if request.header("Authorization") == "Bearer token-2" else Reply(401)

    with RecordingServer(token_or_event) as server:
        reg_id, _ = register(
            db,
            server.url(),
            auth="oauth2",
            secret="client-secret",
            token_url=server.url("/token"),
            client_id="desk",
            oauth_scope="hooks",
        )
        fire(db, to_registration=reg_id, count=3)
        run(db, workers=1)
        token_requests = [r for r in server.requests() if r.path == "/token"]

    assert issued == ["token-1", "token-2"]
    assert [d.status for d in deliveries(db)] == ["succeeded"] * 3
    form = token_requests[0].body.decode()
    assert "grant_type=client_credentials" in form and "scope=hooks" in form
    expected = "Basic " + base64.b64encode(b"desk:client-secret").decode()
    assert token_requests[0].header("Authorization") == expected


def test_redirects_are_not_followed_and_count_as_failure(db):
    with RecordingServer(lambda r: Reply(302, {"Location": "/elsewhere"})) as receiver:
        fire(db, url=receiver.url())
        run(db)
        paths = [r.path for r in receiver.requests()]
    assert paths == ["/hook"]
    [delivery] = deliveries(db)
    assert delivery.status == "failed" and delivery.response_code == 302


def test_a_huge_response_body_is_read_and_stored_only_up_to_the_cap(db):
    with RecordingServer(lambda r: Reply(200, {}, b"x" * 5_000_000)) as receiver:
        [delivery_id] = fire(db, url=receiver.url())
        run(db, body_cap=1000)
        assert receiver.requests()
    [attempt] = attempts(db, delivery_id)
    assert attempt.response_body == "x" * 1000
    assert deliveries(db)[0].status == "succeeded"


def test_a_receiver_that_never_answers_times_out_and_the_delivery_is_retried_later(db):
    with RecordingServer(lambda r: HANG) as receiver:
        reg_id, _ = register(db, receiver.url(), retry_schedule="1h")
        [delivery_id] = fire(db, to_registration=reg_id)
        started = time.monotonic()
        run(db, timeouts=Timeouts(connect=1, total=1.5))
        took = time.monotonic() - started
    [delivery] = deliveries(db)
    [attempt] = attempts(db, delivery_id)
    assert took < 5
    assert attempt.error == "No answer within 1.5 s." and attempt.response_code is None
    assert delivery.status == "pending" and delivery.attempt_count == 1
    wait = delivery.next_attempt_at - attempt.started_at
    assert timedelta(minutes=47) < wait < timedelta(minutes=73)  # 1 h with jitter


def test_retry_after_is_honoured_and_attempts_share_the_delivery_id(db):
    answers = iter([Reply(429, {"Retry-After": "1"}), Reply(503), Reply(200)])
    with RecordingServer(lambda r: next(answers)) as receiver:
        reg_id, _ = register(db, receiver.url(), retry_schedule="0s,0s")
        [delivery_id] = fire(db, to_registration=reg_id)
        run_until(db, lambda: deliveries(db)[0].status != "pending")
        first, second, third = receiver.requests()

    assert second.at - first.at >= 0.9  # the receiver asked for a second; the schedule said 0
    assert {r.header("X-ActiGraph-Delivery") for r in (first, second, third)} == {
        deliveries(db)[0].uuid
    }
    assert len({r.header("X-Request-Id") for r in (first, second, third)}) == 3
    tries = attempts(db, delivery_id)
    assert [a.response_code for a in tries] == [429, 503, 200]
    assert tries[1].retried_attempt_id == tries[0].id
    assert tries[2].retried_attempt_id == tries[1].id
    assert deliveries(db)[0].status == "succeeded" and deliveries(db)[0].attempt_count == 3


def test_a_delivery_that_uses_up_its_schedule_fails(db):
    with RecordingServer(lambda r: Reply(500)) as receiver:
        reg_id, _ = register(db, receiver.url(), retry_schedule="0s")
        fire(db, to_registration=reg_id)
        run_until(db, lambda: deliveries(db)[0].status != "pending")
        assert len(receiver.requests()) == 2
    assert deliveries(db)[0].status == "failed"


def test_hanging_resetting_and_failing_receivers_do_not_stall_a_healthy_one(db):
    with (
        RecordingServer(lambda r: HANG) as hanging,
        RecordingServer(lambda r: RESET) as resetting,
        RecordingServer(lambda r: Reply(500)) as failing,
        RecordingServer() as healthy,
    ):
        for bad in (hanging, resetting, failing):
            reg_id, _ = register(db, bad.url(), retry_schedule="1h")
            fire(db, to_registration=reg_id, count=20)
        good_id, _ = register(db, healthy.url())
        fire(db, to_registration=good_id, count=50)
        with db.session() as session:  # handshakes done: all four have work due at once
            for reg in registrations.list_all(session):
                registrations.record_validation(session, reg, True, None)
        before = time.monotonic()
        engine = run_until(
            db,
            lambda: len(healthy.requests()) >= 50,
            workers=4,
            timeouts=Timeouts(connect=1, total=3),
        )
        stopping_took = time.monotonic() - before - engine.condition_met_after

    # The healthy receiver got all fifty before the first hanging request even timed out:
    # the hanging one may hold only half the threads while others have work waiting.
    assert engine.condition_met_after < 3
    assert stopping_took < 8  # requests on the wire finish (3 s at most), parked ones go back
    assert engine.summary.succeeded >= 50


def test_a_registration_that_fails_its_handshake_gets_no_events_and_shows_why(db):
    with RecordingServer(lambda r: Reply(200), handshake=False) as receiver:
        reg_id, _ = register(db, receiver.url())
        fire(db, to_registration=reg_id, count=2)
        run(db)
        arrived = receiver.requests(events_only=False)

    assert [r.header("X-ActiGraph-Event") for r in arrived] == ["validation"]
    with db.session() as session:
        reg = session.get(Registration, reg_id)
        assert reg.validation_state == "failed"
        assert "did not echo the X-ActiGraph-Hook-Secret" in reg.validation_error
        handshake = session.scalars(select(Delivery).where(Delivery.is_validation)).one()
        assert handshake.status == "failed"
    assert [d.status for d in deliveries(db)] == ["pending", "pending"]


def test_a_registration_failing_for_the_configured_time_is_disabled_with_a_reason(db):
    disabled = []
    with RecordingServer(lambda r: Reply(500)) as receiver:
        reg_id, _ = register(db, receiver.url(), retry_schedule="0s,0s,0s")
        fire(db, to_registration=reg_id)
        with db.session() as session:  # it has been failing for a while already
            reg = session.get(Registration, reg_id)
            reg.failing_since = reg.created_at - timedelta(hours=2)
            reg.failure_streak = 7
        run(
            db,
            disable_after=timedelta(hours=1),
            callbacks=Callbacks(registration_disabled=disabled.append),
        )
    assert disabled == [reg_id]
    with db.session() as session:
        reg = session.get(Registration, reg_id)
        assert reg.status == "disabled"
        assert reg.disabled_reason.startswith("Every delivery failed for 1 hour (")
        assert reg.failure_streak == 8
        entry = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "registration.auto-disable")
        ).one()
        assert entry.entity_id == str(reg_id) and entry.after["status"] == "disabled"


def test_a_success_resets_the_failure_streak(db):
    answers = iter([Reply(500), Reply(200)])
    with RecordingServer(lambda r: next(answers)) as receiver:
        reg_id, _ = register(db, receiver.url(), retry_schedule="0s")
        fire(db, to_registration=reg_id)
        run_until(db, lambda: deliveries(db)[0].status == "succeeded")
    with db.session() as session:
        reg = session.get(Registration, reg_id)
        assert (reg.failure_streak, reg.failing_since) == (0, None)
        assert reg.last_delivery_status == "succeeded"


def test_stop_gives_back_claimed_work_that_was_not_sent(db):
    with RecordingServer(lambda r: HANG) as receiver:
        fire(db, url=receiver.url(), count=30)
        engine = new_engine(
            db, SecretStore(), workers=2, timeouts=Timeouts(1, 1.5), poll_interval=0.05
        )
        thread = threading.Thread(target=engine.run_forever, args=(threading.Event(),))
        thread.start()
        receiver.wait_for(2)
        engine.stop()
        thread.join(20)
        assert not thread.is_alive()
    rows = deliveries(db)
    assert all(d.lease_owner is None for d in rows)
    assert sum(d.attempt_count for d in rows) == len(receiver.requests())
    assert sum(1 for d in rows if d.attempt_count == 0) >= 20


def test_after_its_first_timeout_a_silent_receiver_gets_one_request_at_a_time(db):
    with RecordingServer(lambda r: HANG) as silent:
        fire(db, url=silent.url(), count=12)
        run_until(
            db,
            lambda: len(silent.requests()) >= 7,
            workers=4,
            timeouts=Timeouts(connect=1, total=1),
        )
        arrivals = [r.at for r in silent.requests()]

    first_round, later = arrivals[:4], arrivals[4:7]
    assert max(first_round) - min(first_round) < 0.5  # nothing known yet: all four threads
    gaps = [b - a for a, b in zip(later, later[1:], strict=False)]
    assert all(gap > 0.8 for gap in gaps), gaps  # then one thread, one timeout after another


def test_a_receiver_that_accepts_no_connection_times_out_connecting(db):
    # A listening socket whose backlog is full leaves new connections unanswered.
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(0)
        port = busy.getsockname()[1]
        fillers = [socket.socket() for _ in range(3)]
        for filler in fillers:
            filler.setblocking(False)
            filler.connect_ex(("127.0.0.1", port))
        try:
            [delivery_id] = fire(db, url=f"http://127.0.0.1:{port}/hook")
            run(db, timeouts=Timeouts(connect=1, total=5))
        finally:
            for filler in fillers:
                filler.close()
    [attempt] = attempts(db, delivery_id)
    assert attempt.error == "Timed out connecting after 1 s."
    assert 900 <= attempt.duration_ms < 4000
    assert deliveries(db)[0].status == "pending"  # retried later


def test_a_closed_port_is_recorded_as_refused_and_retried(db):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    [delivery_id] = fire(db, url=f"http://127.0.0.1:{port}/hook")
    run(db)
    [attempt] = attempts(db, delivery_id)
    assert attempt.error == "Connection refused."
    [delivery] = deliveries(db)
    assert delivery.status == "pending" and delivery.error == "Connection refused."


def test_two_engines_on_one_database_run_one_handshake_per_registration(db):
    def answer(request):
        if request.header("X-ActiGraph-Event") != "validation":
            return Reply(200)
        time.sleep(0.5)  # a slow receiver: the other engine looks while this one waits
        return Reply(200, {"X-ActiGraph-Hook-Secret": request.header("X-ActiGraph-Hook-Secret")})

    with RecordingServer(answer, handshake=False) as receiver:
        reg_id, _ = register(db, receiver.url())
        fire(db, to_registration=reg_id, count=5)
        engines = [new_engine(db, SecretStore(), timeouts=FAST) for _ in range(2)]
        threads = [threading.Thread(target=e.run_until_idle) for e in engines]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        arrived = receiver.requests(events_only=False)

    events = [r.header("X-ActiGraph-Event") for r in arrived]
    assert events.count("validation") == 1
    assert sum(e.summary.validations for e in engines) == 1
    with db.session() as session:
        assert session.get(Registration, reg_id).validation_state == "validated"
    assert [d.status for d in deliveries(db)] == ["succeeded"] * 5
