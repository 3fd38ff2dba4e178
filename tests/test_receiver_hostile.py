"""Hostile input over real sockets: each is refused or timed out, and afterwards a normal
request is still answered promptly and nothing captured before was lost."""

from __future__ import annotations

import threading
import time

import pytest
from receiver_client import (
    assert_still_serving,
    captured,
    closed_by_server,
    connect,
    exchange,
    last_capture,
    post,
    read_head,
    start,
    status_of,
)

IDLE_TIMEOUT_S = 1.0
BODY_TIMEOUT_S = 1.0


@pytest.fixture
def receiver(sqlite_db):
    running = start(sqlite_db, idle_timeout_s=IDLE_TIMEOUT_S, body_timeout_s=BODY_TIMEOUT_S)
    post(running, "/before", b'{"before": 1}', {"X-ActiGraph-Delivery": "before-1"})
    post(running, "/before", b'{"before": 2}', {"X-ActiGraph-Delivery": "before-2"})
    yield running
    running.stop()


MALFORMED = {
    "garbage request line": b"THIS IS NOT HTTP\r\n\r\n",
    "bad method characters": b"P(ST / HTTP/1.1\r\nHost: x\r\n\r\n",
    "header without colon": b"POST / HTTP/1.1\r\nHost: x\r\nNoColonHere\r\n\r\n",
    "space before colon": b"POST / HTTP/1.1\r\nHost : x\r\n\r\n",
    "header line of 100 KB": b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 100_000 + b"\r\n\r\n",
    "non-numeric length": b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: ten\r\n\r\n",
    "length and chunked": (
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
    ),
    "control byte in header": b"GET / HTTP/1.1\r\nHost: x\r\nX-A: a\x00b\r\n\r\n",
}


@pytest.mark.parametrize("raw", MALFORMED.values(), ids=MALFORMED.keys())
def test_malformed_request_gets_400(receiver, raw):
    before = captured(receiver)
    assert status_of(exchange(receiver, raw)) == 400
    assert_still_serving(receiver, before)


def test_body_over_the_cap_gets_413_before_it_is_sent(receiver):
    before = captured(receiver)
    head = b"POST /big HTTP/1.1\r\nHost: x\r\nContent-Length: 52428800\r\n\r\n"
    with connect(receiver) as sock:
        sock.sendall(head + b"x" * 1000)  # 50 MB announced, 1 KB sent: no need to read it
        assert status_of(read_head(sock)) == 413
    assert last_capture(receiver)["status_code"] == 413
    assert_still_serving(receiver, before)


def test_chunked_body_growing_over_the_cap_gets_413(receiver):
    before = captured(receiver)
    chunk = b"x" * 65536
    with connect(receiver) as sock:
        sock.sendall(b"POST /chunked HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
        try:
            for _ in range(40):  # 2.5 MiB offered; the receiver stops reading after 1 MiB
                sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        except (BrokenPipeError, ConnectionResetError):
            pass
        assert status_of(read_head(sock)) == 413
    assert_still_serving(receiver, before)


@pytest.mark.parametrize(
    "body",
    [b'{"studyId": "1234",}', b"<xml>not json</xml>", b'{"a": "\xff\xfe broken utf-8"}'],
    ids=["trailing comma", "xml", "bad utf-8"],
)
def test_invalid_json_is_captured_as_it_came_and_marked(receiver, body):
    assert post(receiver, body=body).status_code == 200
    row = last_capture(receiver)
    assert row["body_is_json"] is False
    with receiver.db.session() as session:
        from webhook_desk.db.models import ReceivedRequest

        assert session.get(ReceivedRequest, row["id"]).body == body


def _drip(receiver, prefix: bytes, data: bytes, result: dict) -> None:
    """Send `prefix`, then `data` a byte a second; record when the server hung up, if it did."""
    started = time.monotonic()
    with connect(receiver) as sock:
        sock.sendall(prefix)
        sock.settimeout(1.0)
        for byte in data:
            try:
                sock.send(bytes([byte]))
                reply = sock.recv(4096)  # waits up to a second: the drip's pace
            except TimeoutError:
                continue
            except OSError:
                reply = b""
            result.update(closed_after=time.monotonic() - started, reply=reply)
            return
    result.update(closed_after=None)


@pytest.mark.parametrize(
    "prefix",
    [b"", b"POST /slow HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n"],
    ids=["headers a byte a second", "body a byte a second"],
)
def test_client_sending_a_byte_a_second_is_cut_off_and_others_are_served(receiver, prefix):
    before = captured(receiver)
    result: dict = {}
    dripper = threading.Thread(target=_drip, args=(receiver, prefix, b"x" * 30, result))
    dripper.start()
    assert_still_serving(receiver, before)
    dripper.join()
    assert result["closed_after"] is not None, "the receiver kept a byte-a-second client"
    assert result["closed_after"] < max(IDLE_TIMEOUT_S, BODY_TIMEOUT_S) + 3
    assert_still_serving(receiver, captured(receiver))


def test_slow_body_is_answered_408_and_captured(receiver):
    with connect(receiver) as sock:
        sock.sendall(b"POST /slow-body HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc")
        sock.settimeout(BODY_TIMEOUT_S + 3)
        assert status_of(read_head(sock)) == 408
    row = last_capture(receiver)
    assert (row["path"], row["status_code"]) == ("/slow-body", 408)


def test_hundreds_of_idle_connections_are_closed_and_do_not_block_others(receiver):
    before = captured(receiver)
    idle = [connect(receiver) for _ in range(300)]
    try:
        assert_still_serving(receiver, before)
        still_open = [s for s in idle if not closed_by_server(s, IDLE_TIMEOUT_S + 3)]
        assert not still_open, f"{len(still_open)} of 300 idle connections were kept open"
    finally:
        for sock in idle:
            sock.close()
    assert_still_serving(receiver, captured(receiver))


def test_odd_bytes_in_path_query_headers_and_body_are_kept_on_sqlite_and_postgresql(any_db):
    receiver = start(any_db)
    try:
        request = (
            b"POST /a%00b/%zz?x=%00&y=%ff HTTP/1.1\r\nHost: x\r\n"
            b"X-Latin1: caf\xe9\r\nX-Utf8: caf\xc3\xa9\r\nContent-Length: 4\r\n\r\n\x00\xff{}"
        )
        assert status_of(exchange(receiver, request)) == 200
        row = last_capture(receiver)
        assert (row["path"], row["query"]) == ("/a%00b/%zz", "x=%00&y=%ff")
        assert (row["headers"]["X-Latin1"], row["headers"]["X-Utf8"]) == ("caf\ufffd", "café")
        assert (row["body_encoding"], row["body_is_json"]) == ("base64", False)
        assert_still_serving(receiver, captured(receiver))
    finally:
        receiver.stop()


def test_oversized_event_and_delivery_id_are_cut_to_fit_on_sqlite_and_postgresql(any_db):
    receiver = start(any_db)
    try:
        long_id = "d" * 500
        request = (
            b"POST /long HTTP/1.1\r\nHost: x\r\n"
            b"X-ActiGraph-Event: " + b"e" * 300 + b"\r\n"
            b"X-ActiGraph-Delivery: " + long_id.encode() + b"\r\nContent-Length: 2\r\n\r\n{}"
        )
        assert status_of(exchange(receiver, request)) == 200
        post(receiver, headers={"X-ActiGraph-Delivery": long_id + "-other"})
        first, second = captured(receiver)
        assert (first["event"], first["delivery_id"]) == ("e" * 100, long_id[:100])
        assert first["headers"]["X-ActiGraph-Delivery"] == long_id  # the full value stays here
        assert second["duplicate"] is True  # same first 100 characters: flagged, not lost
    finally:
        receiver.stop()


@pytest.mark.postgres
def test_a_capture_the_database_refuses_costs_only_itself_not_its_batch(pg_db):
    from webhook_desk.receiver.inbox import Capture, InboxWriter

    def capture(method):
        return Capture(method, "/p", "", {}, b"{}", "127.0.0.1", 200)

    writer = InboxWriter(pg_db, limit=100)
    for method in ("POST", "X" * 40, "PUT"):  # a 40-character method breaks VARCHAR(16)
        writer.put(capture(method))
    assert writer.flush()
    writer.close()
    with pg_db.session() as session:
        from webhook_desk.receiver.inbox import recent

        assert [row["method"] for row in recent(session)] == ["PUT", "POST"]
    assert writer.problem.startswith("1 captured requests were not saved, the last because: ")
