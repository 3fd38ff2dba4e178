"""`webhook-desk receive` and `webhook-desk inbox` as a tester uses them from a shell."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time

import pytest
import requests
from receiver_client import actigraph_headers, standard_headers

from webhook_desk.db.models import ReceivedRequest
from webhook_desk.receiver.server import binding_warning
from webhook_desk.signing import new_whsec_secret

CLI = [sys.executable, "-c", "import sys; from webhook_desk.cli import main; sys.exit(main())"]


def run_receiver(db, *args, stdin: str = "") -> tuple[subprocess.Popen, str]:
    """Start `receive` in its own process; returns it and the URL it announced."""
    process = subprocess.Popen(
        [*CLI, "--db", db.url, "receive", "--port", "0", *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=os.environ | {"PYTHONUNBUFFERED": "1"},
    )
    process.stdin.write(stdin)
    process.stdin.close()
    process.stdin = None  # so communicate() does not flush it again
    line = process.stdout.readline()
    match = re.search(r"Receiving at (\S+)", line)
    if not match:
        process.kill()
        pytest.fail(f"receive did not start: {line}{process.stderr.read()}")
    return process, match.group(1)


def stop(process: subprocess.Popen) -> tuple[str, str]:
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=10)
    assert process.returncode == 0, err
    return out, err


def test_port_in_use_is_one_sentence_and_exit_1(sqlite_db):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [*CLI, "--db", sqlite_db.url, "receive", "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode == 1
    assert done.stderr == (
        f"webhook-desk: Port {port} on 127.0.0.1 is already in use; stop what uses it "
        "or choose another with --port.\n"
    )


def test_headless_receiver_checks_stdin_secrets_and_keeps_what_arrived(sqlite_db, cli):
    whsec = new_whsec_secret()
    process, url = run_receiver(sqlite_db, "--secret-stdin", stdin=f"hmac-one\n{whsec}\n")
    body = b'{"studyId": "1234"}'
    signed = actigraph_headers("hmac-one", body) | {
        "X-ActiGraph-Event": "upload",
        "X-ActiGraph-Delivery": "d-1",
    }
    assert requests.post(url + "hooks", data=body, headers=signed).status_code == 200
    requests.post(url + "hooks", data=body, headers=standard_headers(whsec, "msg_1", body))
    out, _ = stop(process)
    assert "POST  /hooks  200  upload  signature valid (actigraph, stdin 1)" in out

    rows = cli("inbox", "--json", db=sqlite_db).json()
    stored = {column.key for column in ReceivedRequest.__table__.columns}
    assert len(rows) == 2 and stored <= set(rows[0])  # every field the inbox keeps is shown
    newest, oldest = rows
    assert (oldest["signature"], oldest["secret_version"], oldest["event"]) == (
        "valid",
        "stdin 1",
        "upload",
    )
    assert (newest["signature_scheme"], newest["secret_version"]) == (
        "standard-webhooks",
        "stdin 2",
    )


def test_headless_receiver_in_fail_mode_requiring_signatures(sqlite_db, cli):
    process, url = run_receiver(
        sqlite_db,
        "--mode",
        "fail",
        "--status",
        "503",
        "--require-signature",
        "--secret-stdin",
        stdin="s3cret\n",
    )
    body = b"{}"
    assert requests.post(url, data=body).status_code == 401
    assert (
        requests.post(url, data=body, headers=actigraph_headers("s3cret", body)).status_code == 503
    )
    stop(process)
    table = cli("inbox", "--limit", "1", db=sqlite_db)
    assert table.code == 0
    assert table.out.splitlines()[0].split()[:4] == ["RECEIVED_AT", "METHOD", "PATH", "STATUS_CODE"]
    assert len(table.out.splitlines()) == 2 and " 503 " in table.out


@pytest.mark.parametrize(
    "args, sentence",
    [
        (["--failure-rate", "2"], "--failure-rate 2.0 is not between 0 and 1."),
        (["--status", "42"], "--status 42 is not an HTTP status (100-599)."),
        (["--delay-ms", "-5"], "--delay-ms cannot be negative."),
        (["--inbox-limit", "0"], "--inbox-limit must be at least 1."),
    ],
)
def test_bad_receiver_options_are_one_sentence(cli, args, sentence):
    result = cli("receive", "--port", "0", *args)
    assert (result.code, result.err) == (1, f"webhook-desk: {sentence}\n")


def test_empty_inbox_lists_as_none(cli):
    result = cli("inbox")
    assert (result.code, result.out) == (0, "(none)\n")


@pytest.mark.parametrize(
    "host, warned",
    [
        ("127.0.0.1", False),
        ("localhost", False),
        ("::1", False),
        ("0.0.0.0", True),
        ("10.1.2.3", True),
    ],
)
def test_binding_beyond_this_machine_is_warned_about(host, warned):
    assert (binding_warning(host) is not None) == warned


def test_receiver_stops_promptly_on_sigterm_with_everything_written(sqlite_db, cli):
    process, url = run_receiver(sqlite_db)
    with requests.Session() as session:
        for number in range(50):
            session.post(url + f"n{number}", data=b"{}")
    started = time.monotonic()
    stop(process)
    assert time.monotonic() - started < 5
    assert len(cli("inbox", "--json", "--limit", "100", db=sqlite_db).json()) == 50


@pytest.mark.parametrize("verb", ["receive", "mock-api"])
@pytest.mark.parametrize("port", ["70000", "-1"])
def test_a_port_outside_the_range_is_refused_not_wrapped(cli, verb, port):
    """70000 used to listen on 4464 (the OS takes it modulo 65536)."""
    result = cli(verb, "--port", port)
    assert (result.code, result.err) == (
        1,
        f"webhook-desk: {port} is not a port number: use one from 1 to 65535 "
        "(0 picks a free one).\n",
    )


def refuse_inbox_writes(db) -> None:
    """The database stops taking captures, as a full disk would."""
    with db.engine.begin() as connection:
        connection.exec_driver_sql(
            "CREATE TRIGGER full_disk BEFORE INSERT ON received_request "
            "BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END"
        )


def test_a_capture_that_cannot_be_stored_is_answered_503_and_said_on_stderr(sqlite_db):
    process, url = run_receiver(sqlite_db)
    refuse_inbox_writes(sqlite_db)
    answer = requests.post(url + "hooks", data=b'{"event": "upload"}', timeout=10)
    out, err = stop(process)
    assert answer.status_code == 503
    assert answer.json() == {"error": "the receiver could not store the request; try again"}
    assert "webhook-desk: answered 503, so the sender will try again: 1 captured requests " in err
    assert "database or disk is full" in err
    with sqlite_db.session() as session:
        assert session.query(ReceivedRequest).count() == 0
