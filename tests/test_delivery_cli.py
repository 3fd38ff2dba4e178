"""The delivery verbs as a user scripts them: fire, deliver, history, resend, payload-hash."""

from __future__ import annotations

import json

import pytest
from recording_server import RecordingServer, Reply

from webhook_desk import signing

HISTORY_KEYS = {
    "id",
    "delivery_id",
    "registration_id",
    "event",
    "status",
    "response_code",
    "attempts",
    "created_at",
    "last_sent_at",
}


@pytest.fixture
def receiver():
    with RecordingServer() as server:
        yield server


def add_registration(cli, url, *extra) -> int:
    result = cli(
        "registrations",
        "add",
        "--url",
        url,
        "--development",
        "--study",
        "189",
        "--events",
        "upload",
        *extra,
    )
    assert result.code == 0, result.err
    return (
        int(result.out.strip().split()[-1])
        if not result.out.strip().isdigit()
        else int(result.out.strip())
    )


def test_fired_events_are_delivered_and_listed_in_the_history(cli, receiver, memory_keyring):
    reg_id = add_registration(cli, receiver.url())
    fired = cli("fire", "upload", "--to", reg_id, "--count", "3", "--json")
    assert fired.code == 0, fired.err
    assert len(fired.json()) == 3

    delivered = cli("deliver", "--until-idle", "--workers", "2", "--quiet")
    assert delivered.code == 0, delivered.err
    assert "Sent 3: 3 succeeded" in delivered.out
    assert len(receiver.requests()) == 3

    history = cli("history", "--registration", reg_id, "--event", "upload", "--json")
    rows = history.json()
    assert len(rows) == 3 and HISTORY_KEYS <= set(rows[0])
    assert {r["status"] for r in rows} == {"succeeded"}
    assert {r["response_code"] for r in rows} == {200}
    assert {r["delivery_id"] for r in rows} == {
        r.header("X-ActiGraph-Delivery") for r in receiver.requests()
    }
    table = cli("history", "--study", "189")
    assert "SUCCEEDED" not in table.out and "succeeded" in table.out


def test_a_payload_that_breaks_the_schema_is_explained_field_by_field(cli, tmp_path, receiver):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"status": "started", "uploadId": 85045}))
    result = cli("fire", "upload", "--url", receiver.url(), "--payload", bad)
    assert result.code == 1
    assert result.err.startswith("webhook-desk: The payload does not match the upload")
    assert "studyId: required field is missing" in result.err
    assert "subjectId: required field is missing" in result.err
    assert "--no-validate" in result.err
    assert "Traceback" not in result.err

    sent_anyway = cli("fire", "upload", "--url", receiver.url(), "--payload", bad, "--no-validate")
    assert sent_anyway.code == 0, sent_anyway.err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["fire", "no_such_event", "--url", "http://127.0.0.1:1/"], "no_such_event"),
        (["fire", "upload", "--url", "ftp://example.org/"], "not an absolute http(s) URL"),
        (["fire", "upload", "--to", "999"], "No registration with id 999."),
        (["fire", "upload", "--url", "http://127.0.0.1:1/", "--count", "0"], "--count"),
        (
            ["fire", "upload", "--url", "http://127.0.0.1:1/", "--payload", "/nope.json"],
            "No payload file /nope.json.",
        ),
        (["resend", "12345"], "No delivery 12345."),
        (["history", "--include-codes", "2yy"], "'2yy' is not a response code"),
        (["history", "--since", "yesterday"], "--since 'yesterday' is not a date"),
    ],
)
def test_bad_input_gets_one_sentence_and_a_non_zero_exit(cli, argv, message):
    result = cli(*argv)
    assert result.code == 1
    assert message in result.err
    assert len(result.err.strip().splitlines()) == 1


def test_payload_given_on_stdin_is_sent_byte_for_byte(cli, receiver):
    body = '{"status": "started", "uploadId": "1", "subjectId": "2", "studyId": "3"}'
    assert cli("fire", "upload", "--url", receiver.url(), "--payload", "-", stdin=body).code == 0
    cli("deliver", "--until-idle", "--quiet")
    [request] = receiver.requests()
    assert request.body.decode() == body
    [row] = cli("history", "--study", "3", "--json").json()
    assert row["event"] == "upload"


def test_resend_makes_a_new_delivery_pointing_at_the_original(cli, receiver):
    cli("fire", "upload", "--url", receiver.url())
    cli("deliver", "--until-idle", "--quiet")
    [original] = cli("history", "--json").json()

    resent = cli("resend", original["delivery_id"], "--json")
    assert resent.code == 0, resent.err
    assert resent.json()["resent_from_id"] == original["id"]
    cli("deliver", "--until-idle", "--quiet")
    first, second = receiver.requests()
    assert first.body == second.body
    assert first.header("X-ActiGraph-Delivery") != second.header("X-ActiGraph-Delivery")


def test_resend_all_matching_dry_run_counts_and_then_queues(cli, memory_keyring):
    with RecordingServer(lambda r: Reply(500)) as failing:
        reg_id = add_registration(cli, failing.url(), "--retry-schedule", "0s")
        cli("fire", "upload", "--to", reg_id, "--count", "4")
        cli("fire", "upload", "--url", failing.url("/other"), "--count", "2")
        for _ in range(3):
            cli("deliver", "--until-idle", "--quiet")
        dry = cli(
            "resend", "--all-matching", "--registration", reg_id, "--status", "failed", "--dry-run"
        )
        assert dry.code == 0, dry.err
        assert dry.out.strip() == "4 deliveries would be resent."
        pending = ("history", "--registration", reg_id, "--status", "pending", "--json")
        assert len(cli(*pending).json()) == 0

        queued = cli(
            "resend",
            "--all-matching",
            "--registration",
            reg_id,
            "--status",
            "failed",
            "--include-codes",
            "5xx",
            "--json",
        )
        assert queued.json() == {
            "matched": 4,
            "queued": 4,
            "skipped": 0,
            "already_queued": 0,
            "hosted": 0,
            "retried_by_module": 0,
            "already_retried_by_module": 0,
            "module_refused": [],
            "read_only": 0,
            "dry_run": False,
        }
    pending = cli("history", "--registration", reg_id, "--status", "pending", "--json").json()
    assert len(pending) == 4 and all(p["resent_from_id"] for p in pending)


def test_registrations_validate_runs_the_handshake(cli, memory_keyring):
    with RecordingServer(handshake=False) as no_echo:
        reg_id = add_registration(cli, no_echo.url())
        failed = cli("registrations", "validate", reg_id)
    assert failed.code == 1
    assert "did not echo the X-ActiGraph-Hook-Secret header" in failed.out
    with RecordingServer() as echoing:
        other = add_registration(cli, echoing.url())
        passed = cli("registrations", "validate", other, "--json")
    assert passed.code == 0, passed.err
    assert passed.json()["validated"] is True


def test_payload_hash_generates_and_validates_with_the_secret_from_stdin(cli, tmp_path):
    payload = {"b": 1, "a": [1, 2]}
    path = tmp_path / "p.json"
    path.write_text(json.dumps(payload))
    made = cli(
        "payload-hash",
        "generate",
        "--payload",
        path,
        "--created-at",
        "1700000000",
        "--secret-stdin",
        "--json",
        stdin="s3cret\n",
    )
    assert made.code == 0, made.err
    digest = made.json()["hash"]
    assert digest == signing.payload_hash("s3cret", payload, 1700000000)
    ok = cli(
        "payload-hash",
        "validate",
        "--payload",
        path,
        "--created-at",
        "1700000000",
        "--hash",
        digest,
        "--secret-stdin",
        stdin="s3cret",
    )
    assert ok.code == 0 and "valid" in ok.out
    wrong = cli(
        "payload-hash",
        "validate",
        "--payload",
        path,
        "--created-at",
        "1700000001",
        "--hash",
        digest,
        "--secret-stdin",
        stdin="s3cret",
    )
    assert wrong.code == 1


def test_firing_at_a_registration_that_failed_validation_says_the_events_will_wait(cli):
    with RecordingServer(handshake=False) as no_echo:
        reg_id = add_registration(cli, no_echo.url())
        cli("registrations", "validate", reg_id)
        fired = cli("fire", "upload", "--to", reg_id)
    assert fired.code == 0
    assert f"registration {reg_id} failed validation" in fired.err
    assert f"registrations validate {reg_id}` passes" in fired.err
