"""The receiver answers as its mode says, passes the handshake, serves the ECG test paths,
and captures every request in a bounded inbox with duplicates flagged."""

from __future__ import annotations

import json
import threading
import time
import uuid
from dataclasses import replace

import pytest
import requests
from receiver_client import captured, last_capture, post, receivers, start

HOOK_SECRET = "X-ActiGraph-Hook-Secret"


@pytest.fixture
def receive(sqlite_db):
    yield from receivers(sqlite_db)


def handshake_headers(code: str) -> dict[str, str]:
    return {
        "X-ActiGraph-Event": "validation",
        "X-ActiGraph-Delivery": str(uuid.uuid4()),
        "User-Agent": "ActiGraph-Hookshot/1.0",
        HOOK_SECRET: code,
    }


def test_validation_handshake_echoes_the_hook_secret_with_200(receive):
    receiver = receive()
    code = str(uuid.uuid4())
    body = json.dumps({"WebhookId": "7", "ValidationCode": code}).encode()
    response = post(receiver, body=body, headers=handshake_headers(code))
    assert response.status_code == 200
    assert response.headers[HOOK_SECRET] == code
    assert last_capture(receiver)["event"] == "validation"


def test_receiver_told_to_fail_validation_does_not_echo_the_secret(receive):
    receiver = receive(fail_validation=True)
    response = post(receiver, headers=handshake_headers(str(uuid.uuid4())))
    assert HOOK_SECRET not in response.headers


def test_handshake_is_answered_even_in_fail_mode(receive):
    receiver = receive(mode="fail", status=503)
    code = str(uuid.uuid4())
    response = post(receiver, headers=handshake_headers(code))
    assert (response.status_code, response.headers.get(HOOK_SECRET)) == (200, code)


@pytest.mark.parametrize("path", ["/", "/hooks/study-1", "/any/depth/at/all"])
def test_ok_mode_answers_200_on_any_path(receive, path):
    receiver = receive()
    assert post(receiver, path).status_code == 200
    assert last_capture(receiver)["path"] == path


def test_fail_mode_answers_the_chosen_status(receive):
    receiver = receive(mode="fail", status=503)
    assert post(receiver).status_code == 503
    assert last_capture(receiver)["status_code"] == 503


def test_delay_mode_waits_before_answering(receive):
    receiver = receive(mode="delay", delay_ms=400)
    started = time.monotonic()
    assert post(receiver).status_code == 200
    assert time.monotonic() - started >= 0.4


def test_delay_does_not_hold_up_other_requests(receive):
    receiver = receive(mode="delay", delay_ms=3000)
    slow = threading.Thread(target=post, args=(receiver, "/slow"))
    slow.start()
    deadline = time.monotonic() + 5
    while not any(row["path"] == "/slow" for row in captured(receiver)):  # it is being held
        assert time.monotonic() < deadline, "the slow request never arrived"
        time.sleep(0.01)
    receiver.options = replace(receiver.options, mode="ok")  # the GUI may switch modes live
    started = time.monotonic()
    assert post(receiver).status_code == 200
    assert time.monotonic() - started < 1.0
    assert slow.is_alive(), "the held request was answered early"
    slow.join()


@pytest.mark.parametrize("rate, expected", [(0.0, {200}), (1.0, {502}), (0.5, {200, 502})])
def test_flaky_mode_fails_at_the_chosen_rate(receive, rate, expected):
    receiver = receive(mode="flaky", failure_rate=rate, status=502)
    with requests.Session() as session:
        seen = {session.post(receiver.url, data=b"{}").status_code for _ in range(60)}
    assert seen == expected


def test_timeout_mode_holds_past_the_senders_timeout_and_still_captures(receive):
    receiver = receive(mode="timeout")
    with pytest.raises(requests.exceptions.ReadTimeout):
        post(receiver, headers={"X-ActiGraph-Delivery": "held-1"}, timeout=0.5)
    assert last_capture(receiver)["delivery_id"] == "held-1"
    started = time.monotonic()
    receiver.stop()
    assert time.monotonic() - started < 3.0, "stopping waited for the held request"


@pytest.mark.parametrize(
    "method, path, status, document",
    [
        ("GET", "/healthcheck", 200, {"status": "ok", "info": {}, "error": {}, "details": {}}),
        ("POST", "/api/webhook-processors/success-response", 200, {"value": True}),
        ("POST", "/api/webhook-processors/failed-response", 500, {"value": False}),
    ],
)
def test_ecg_module_test_paths_answer_as_the_module_does(receive, method, path, status, document):
    receiver = receive(mode="fail", status=503)  # fixed answers, whatever the mode
    response = requests.request(method, receiver.url.rstrip("/") + path, json={"a": 1})
    assert (response.status_code, response.json()) == (status, document)


def test_every_request_is_captured_with_what_it_carried(receive):
    receiver = receive()
    delivery = str(uuid.uuid4())
    body = b'{"studyId": "1234", "status": "completed"}'
    headers = {
        "X-ActiGraph-Event": "upload",
        "X-ActiGraph-Delivery": delivery,
        "Authorization": "Basic dXNlcjpzZWNyZXQ=",
        "Content-Type": "application/json",
    }
    post(receiver, "/hooks/upload?study=1234&x=1", body, headers)
    row = last_capture(receiver)
    assert row["method"] == "POST"
    assert (row["path"], row["query"]) == ("/hooks/upload", "study=1234&x=1")
    assert row["body"] == body.decode() and row["body_is_json"] is True
    assert (row["event"], row["delivery_id"], row["duplicate"]) == ("upload", delivery, False)
    assert row["remote_addr"] == "127.0.0.1"
    assert row["status_code"] == 200
    assert row["headers"]["X-ActiGraph-Event"] == "upload"
    assert row["headers"]["Authorization"] == "Basic [redacted]"


def test_repeats_of_a_delivery_id_are_flagged_as_duplicates(receive):
    receiver = receive()
    for delivery in ("d-1", "d-2", "d-1", "d-1"):
        post(receiver, headers={"X-ActiGraph-Delivery": delivery})
    assert [row["duplicate"] for row in captured(receiver)] == [False, False, True, True]


def test_duplicates_are_recognised_after_a_restart(sqlite_db, receive):
    first = receive()
    post(first, headers={"X-ActiGraph-Delivery": "d-1"})
    first.stop()
    second = receive()
    post(second, headers={"X-ActiGraph-Delivery": "d-1"})
    assert last_capture(second)["duplicate"] is True


def test_inbox_keeps_the_newest_requests_up_to_its_limit(receive):
    receiver = receive(inbox_limit=5)
    for number in range(8):
        post(receiver, f"/n{number}")
    assert [row["path"] for row in captured(receiver)] == [f"/n{n}" for n in range(3, 8)]


def test_on_request_hears_of_each_capture_once_it_is_in_the_inbox(sqlite_db):
    heard = []
    receiver = start(sqlite_db, on_request=heard.append)
    try:
        post(receiver, "/one")
        post(receiver, "/two")
        receiver.flush()
        assert [capture.path for capture in heard] == ["/one", "/two"]
    finally:
        receiver.stop()


def test_inbox_works_the_same_on_sqlite_and_postgresql(any_db):
    receiver = start(any_db, inbox_limit=3)
    try:
        for number, delivery in enumerate(["d-1", "d-2", "d-1", "d-3", "d-1"]):
            post(receiver, f"/n{number}", headers={"X-ActiGraph-Delivery": delivery})
        rows = captured(receiver)
    finally:
        receiver.stop()
    assert [(row["path"], row["duplicate"]) for row in rows] == [
        ("/n2", True),
        ("/n3", False),
        ("/n4", True),
    ]


def test_inbox_holds_exactly_its_limit_once_the_receiver_stops(sqlite_db, cli):
    receiver = start(sqlite_db, inbox_limit=200)
    try:
        with requests.Session() as session:
            for number in range(230):
                session.post(receiver.url + f"n{number}", data=b"{}")
    finally:
        receiver.stop()
    rows = cli("inbox", "--json", "--limit", "1000", db=sqlite_db).json()
    assert len(rows) == 200
    assert (rows[0]["path"], rows[-1]["path"]) == ("/n229", "/n30")
