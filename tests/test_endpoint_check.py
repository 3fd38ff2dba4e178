"""A study's data manager checks their receiving endpoint before go-live: a correct endpoint
passes every check, each fault fails exactly the checks it should, and the dated report is
filed and verified later."""

from __future__ import annotations

import json
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from receiver_client import start

from webhook_desk.db.models import Delivery
from webhook_desk.engine.sender import Timeouts
from webhook_desk.secrets import SecretStore
from webhook_desk.services import check_report, endpoint_check, registrations
from webhook_desk.services.registrations import RegistrationInput

ALL = {1, 2, 3, 4, 5, 6, 7, 8}


@pytest.fixture
def db(sqlite_db, memory_keyring):
    return sqlite_db


def _registered_receiver(db, **options):
    receiver = start(db, **options)
    data = RegistrationInput(
        url=receiver.url + "hooks", study_id="189", events=["upload"], auth_type="hmac",
        is_development=True,
    )  # fmt: skip
    with db.session() as session:
        reg, _ = registrations.add(session, SecretStore(), data, secret="shared secret")
        reg_id = reg.id
    receiver.refresh_secrets()
    return receiver, reg_id


def _verdicts(db, reg_id, total_s: float = 3) -> dict[int, str]:
    target = endpoint_check.target_of_registration(db, SecretStore(), reg_id)
    run = endpoint_check.run(db, target, "tester", timeouts=Timeouts(connect=1, total=total_s))
    return {result.number: result.verdict for result in run.results}


def _failing(verdicts: dict[int, str]) -> set[int]:
    return {number for number, verdict in verdicts.items() if verdict == endpoint_check.FAIL}


@pytest.mark.parametrize(
    ("options", "fails"),
    [
        ({"require_signature": True}, set()),
        ({"require_signature": False}, {3}),  # takes forged and unsigned events as genuine
        ({"require_signature": True, "fail_validation": True}, {1}),
        # the receiver answers the handshake in every mode; events get the 503
        ({"require_signature": True, "mode": "fail", "status": 503}, {2, 4, 5, 6}),
    ],
    ids=["correct", "no-signature-check", "fails-handshake", "answers-503"],
)
def test_each_fault_fails_exactly_its_checks(db, options, fails):
    receiver, reg_id = _registered_receiver(db, **options)
    try:
        verdicts = _verdicts(db, reg_id)
    finally:
        receiver.stop()
    assert set(verdicts) == ALL
    assert _failing(verdicts) == fails
    assert verdicts[7] == endpoint_check.NOT_APPLICABLE  # plain http, a development endpoint


def test_a_flaky_endpoint_fails_only_checks_that_need_every_answer(db):
    """Half its answers fail at random: which checks fail varies, but only ever those that
    need accepted deliveries, and the 30 of check 5 cannot all pass (2^-30)."""
    receiver, reg_id = _registered_receiver(
        db, require_signature=True, mode="flaky", failure_rate=0.5, status=503
    )
    try:
        failing = _failing(_verdicts(db, reg_id))
    finally:
        receiver.stop()
    assert 5 in failing and failing <= {2, 4, 5, 6}


def test_an_endpoint_slower_than_the_timeout_fails_what_needs_an_answer(db):
    receiver, reg_id = _registered_receiver(db, require_signature=True, mode="delay", delay_ms=700)
    try:
        verdicts = _verdicts(db, reg_id, total_s=0.3)
    finally:
        receiver.stop()
    assert _failing(verdicts) == {2, 4, 5, 6}  # the handshake is answered at once in any mode


def test_every_check_request_is_tagged_and_recorded_in_history(db):
    receiver, reg_id = _registered_receiver(db, require_signature=True)
    try:
        _verdicts(db, reg_id)
        with db.session() as session:
            rows = session.query(Delivery).filter_by(source="check").all()
            runs = {row.remote_id for row in rows}
            tagged = {r.attempts[0].request_headers.get(endpoint_check.CHECK_HEADER) for r in rows}
    finally:
        receiver.stop()
    assert len(rows) > 40 and len(runs) == 1
    assert tagged == runs


class _Gullible(BaseHTTPRequestHandler):
    """An endpoint that echoes the handshake and takes anything as genuine."""

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(200)
        secret = self.headers.get("X-ActiGraph-Hook-Secret")
        if secret:
            self.send_header("X-ActiGraph-Hook-Secret", secret)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_GET = do_POST

    def log_message(self, *_args):
        pass


def test_an_endpoint_that_accepts_forged_signatures_is_caught(db, cli):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Gullible)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}/hooks"
    try:
        result = cli(
            "check-endpoint", "--url", url, "--auth", "hmac", "--secret-stdin", "--yes", "--json",
            db=db, stdin="our secret\n",
        )  # fmt: skip
    finally:
        server.shutdown()
    assert result.code == 1
    run = result.json()
    by_number = {r["number"]: r for r in run["results"]}
    assert by_number[3]["verdict"] == "fail"
    assert "a wrong signature" in by_number[3]["detail"]
    assert by_number[8]["verdict"] == "information"  # a GET answered 200 is said, not failed
    assert run["verdict"] == "fail"


def test_nothing_is_sent_without_confirmation(db, cli):
    result = cli("check-endpoint", "--url", "http://127.0.0.1:9/x", db=db)
    assert result.code == 1
    assert "Confirm sending test requests to http://127.0.0.1:9/x with --yes" in result.err
    with db.session() as session:
        assert session.query(Delivery).count() == 0


@pytest.mark.parametrize("suffix", [".html", ".pdf"])
def test_the_report_is_filed_and_any_change_to_it_is_found(db, cli, tmp_path, suffix):
    receiver, reg_id = _registered_receiver(db, require_signature=True)
    report = tmp_path / f"check{suffix}"
    try:
        result = cli("check-endpoint", reg_id, "--yes", "--report", report, db=db)
    finally:
        receiver.stop()
    assert result.code == 0, result.err
    assert "Overall: PASS" in result.out
    verified = cli("check-endpoint", "--verify-report", report, db=db)
    assert verified.code == 0 and "is unchanged: pass" in verified.out
    if suffix == ".pdf":
        text = subprocess.run(["pdftotext", report, "-"], capture_output=True, text=True).stdout
        assert "Overall verdict: PASS" in text
        assert "confirmed by" in text
    else:
        assert "Overall verdict: PASS" in report.read_text()
    filed = report.read_bytes()
    carried = filed.find(b"check-run") + 20  # inside the record the report carries
    for where in (len(filed) // 2, *range(carried, carried + 8)):  # one bit changed
        data = bytearray(filed)
        data[where] ^= 1
        report.write_bytes(bytes(data))
        changed = cli("check-endpoint", "--verify-report", report, db=db)
        assert changed.code == 1 and "was changed after it was written" in changed.err, where


def test_a_report_shows_the_evidence_of_each_check(db, tmp_path):
    receiver, reg_id = _registered_receiver(db, require_signature=True)
    url = receiver.url + "hooks"
    try:
        target = endpoint_check.target_of_registration(db, SecretStore(), reg_id)
        run = endpoint_check.run(db, target, "tester", timeouts=Timeouts(connect=1, total=3))
    finally:
        receiver.stop()
    page = check_report.render_html(run.as_dict()).decode()
    assert "1. Validation handshake answered with 200" in page
    assert f"POST {url}" in page
    assert "shared secret" not in page
    carried = json.loads(
        page.split('id="check-run">')[1].split("</script>")[0].replace("&quot;", '"')
    )
    assert carried["verdict"] == "pass"
