"""The CLI verbs that match the served API's writes: events create|update|delete, events
samples add|update|delete, registrations patch, outcome, payload-hash get."""

import json

import pytest

from webhook_desk.services import audit


def _write(tmp_path, name: str, document) -> str:
    path = tmp_path / name
    path.write_text(json.dumps(document), encoding="utf-8")
    return str(path)


SCHEMA = {"type": "object", "required": ["mgdl"], "properties": {"mgdl": {"type": "integer"}}}


def test_a_category_event_and_sample_are_made_changed_and_deleted_from_the_cli(
    cli, tmp_path, sqlite_db
):
    assert cli("events", "create", "glucose", "--category", "--name", "Glucose").code == 0
    made = cli("events", "create", "glucose.reading", "--in", "glucose", "--version", "v1",
               "--name", "Reading", "--schema", _write(tmp_path, "s.json", SCHEMA))  # fmt: skip
    assert made.out == "Event glucose.reading v1 created.\n", made.err
    bad = cli("events", "samples", "add", "glucose.reading", "high", "--version", "v1",
              "--payload", _write(tmp_path, "bad.json", {"mgdl": "high"}))  # fmt: skip
    assert bad.code == 1 and "mgdl" in bad.err and bad.err.count("\n") == 1
    good = _write(tmp_path, "good.json", {"mgdl": 240})
    assert cli("events", "samples", "add", "glucose.reading", "high", "--version", "v1",
               "--payload", good).code == 0  # fmt: skip
    shown = cli("events", "show", "glucose.reading", "--json").json()
    assert shown["samples"] == [{"name": "high", "payload": {"mgdl": 240}}]
    renamed = cli(
        "events", "update", "glucose.reading", "--version", "v1", "--name", "CGM", "--json"
    )
    assert renamed.json()["name"] == "CGM"
    refused = cli("events", "delete", "glucose", "--category")
    assert refused.code == 1 and "delete them first" in refused.err
    assert (
        cli("events", "samples", "delete", "glucose.reading", "high", "--version", "v1").code == 0
    )
    assert cli("events", "delete", "glucose.reading", "--version", "v1").code == 0
    assert cli("events", "delete", "glucose", "--category").code == 0
    with sqlite_db.session() as session:
        actions = [e.action for e in reversed(audit.entries(session, 8))]
    assert actions == ["category.create", "event.create", "sample.add", "event.update",
                       "sample.delete", "event.delete", "category.delete"]  # fmt: skip


@pytest.mark.parametrize(
    "argv, sentence",
    [
        (["events", "create", "x y", "--in", "vitals", "--version", "v1", "--name", "X"],
         "A event code is 1 to 100 letters"),
        (["events", "create", "vitals.new", "--in", "vitals", "--version", "1", "--name", "X"],
         "An event version is 'v' and a number"),
        (["events", "create", "vitals.observations.created", "--in", "vitals", "--version", "v1",
          "--name", "X"], "There is already an event 'vitals.observations.created' v1."),
        (["events", "create", "vitals.new", "--name", "X"], "A new event needs --in CATEGORY"),
        (["events", "update", "vitals", "--category"], "Nothing to change"),
    ],
)  # fmt: skip
def test_bad_catalog_edits_are_one_sentence(cli, argv, sentence):
    result = cli(*argv)
    assert result.code == 1 and sentence in result.err and result.err.count("\n") == 1


def test_registrations_patch_applies_a_json_patch_file_with_its_tests(cli, tmp_path):
    added = cli("registrations", "add", "--url", "https://example.org/h", "--organization",
                "org-7", "--events", "phone.logs.created")  # fmt: skip
    reg_id = added.out.split()[0]
    patch = [
        {"op": "test", "path": "/is_development", "value": False},
        {"op": "replace", "path": "/name", "value": "Phone logs"},
        {"op": "add", "path": "/events/-", "value": "vitals.observations.created"},
    ]
    result = cli(
        "registrations", "patch", reg_id, "--json-patch", _write(tmp_path, "p.json", patch)
    )
    assert result.code == 0, result.err
    shown = cli("registrations", "show", reg_id, "--json").json()
    assert shown["name"] == "Phone logs"
    assert shown["events"] == ["phone.logs.created", "vitals.observations.created"]
    failed_test = [{"op": "test", "path": "/name", "value": "Other"},
                   {"op": "replace", "path": "/url", "value": "https://evil.example/"}]  # fmt: skip
    refused = cli("registrations", "patch", reg_id, "--json-patch", "-",
                  stdin=json.dumps(failed_test))  # fmt: skip
    assert refused.code == 1 and "test failed" in refused.err
    assert cli("registrations", "show", reg_id, "--json").json()["url"] == "https://example.org/h"


def test_an_outcome_settles_a_delivery_and_payload_hash_get_reads_its_hash(
    cli, sqlite_db, memory_keyring
):
    from webhook_desk import signing
    from webhook_desk.secrets import SecretStore
    from webhook_desk.services import firing, registrations

    with sqlite_db.session() as session:
        data = registrations.RegistrationInput(
            url="https://example.org/h",
            organization_id="o",
            events=["vitals.observations.created"],
            auth_type="hmac",
        )
        reg, secret = registrations.add(session, SecretStore(), data)
        [delivery] = firing.fire(session, "vitals.observations.created", to_registration=reg.id)
        uuid, payload = delivery.uuid, json.loads(delivery.payload)
    got = cli("payload-hash", "get", uuid, "--json").json()
    assert got == {
        "hash": signing.payload_hash(secret, payload["data"], payload["createdAt"]),
        "created_at": payload["createdAt"],
    }
    contradiction = cli("outcome", uuid, "--success", "--status-code", "503")
    assert contradiction.code == 1 and "2xx" in contradiction.err
    recorded = cli(
        "outcome", uuid, "--failure", "--status-code", "503", "--error", "down", "--json"
    )
    assert recorded.json()["status"] == "failed" and recorded.json()["attempts"] == 1
    assert cli("history", "--json").json()[0]["response_code"] == 503


def test_edits_to_the_shipped_catalog_survive_the_next_start(cli, sqlite_db):
    from webhook_desk.services.startup import open_database

    assert cli("events", "update", "upload", "--version", "v1", "--name", "Upload (ours)").code == 0
    assert cli("events", "samples", "delete", "upload", "error", "--version", "v1").code == 0
    assert cli("events", "delete", "phone.logs.created", "--version", "v2").code == 0
    open_database(sqlite_db.url).dispose()  # the next start syncs the shipped catalog
    upload = cli("events", "show", "upload", "--json").json()
    assert upload["name"] == "Upload (ours)" and upload["sample_names"] == ["started", "completed"]
    versions = [e["version"] for e in cli("events", "list", "--json").json()
                if e["code"] == "phone.logs.created"]  # fmt: skip
    assert versions == ["v1"]
    raw = cli("events", "show", "raw_processing_complete", "--json").json()
    assert raw["sample_names"] == ["completed", "error"]  # untouched entries still sync
