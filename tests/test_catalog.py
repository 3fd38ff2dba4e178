"""The event catalog as a coordinator or tester meets it: events to pick, samples to fire,
payloads checked field by field, statuses changed and audited, and a catalog that loads
itself on every start without undoing anyone's changes."""

from __future__ import annotations

import json
import shutil

import pytest
from jsonschema import Draft202012Validator
from sqlalchemy import delete, func, select
from sqlalchemy import event as sa_event

from webhook_desk import signing
from webhook_desk.db.models import AuditEntry, EventCategory, EventType, SamplePayload
from webhook_desk.errors import InvalidInput, NotFound
from webhook_desk.services import catalog

# Seed 003's upload examples, exactly as the platform documents them.
SEED_UPLOAD_IDS = {"uploadId": "85045", "subjectId": "44732", "studyId": "189"}
SEED_UPLOAD_SAMPLES = {
    "started": {"status": "started", **SEED_UPLOAD_IDS},
    "completed": {
        "status": "completed",
        "firstEpochUTC": "2016-06-14T20:46:00.0000000",
        "firstEpochSubjectTZ": "2016-06-14T15:46:00.0000000",
        "lastEpochUTC": "2016-06-14T20:47:00.0000000",
        "lastEpochSubjectTZ": "2016-06-14T15:47:00.0000000",
        **SEED_UPLOAD_IDS,
    },
    "error": {
        "status": "error",
        "message": "A problem occured during upload processing",
        **SEED_UPLOAD_IDS,
    },
}
CENTREPOINT_EVENTS = {
    "upload",
    "raw_processing_complete",
    "data_retrieval_complete",
    "daily_statistics_complete",
    "cp2_daily_statistics_complete",
    "validation",
}
ECG_SAMPLE_TYPES = {"ack", "nack", "phone-log", "vitals-observation"}
ECG_DEMO_SECRET = (
    "ecg-secret-key"  # the seed's example secret key; the ECG samples are hashed with it
)


def _shipped_samples():
    for category in catalog.shipped_categories():
        for ev in category["events"]:
            for sample in ev["samples"]:
                yield pytest.param(
                    ev["code"],
                    ev["version"],
                    sample["name"],
                    id=f"{ev['code']}-{ev['version']}-{sample['name']}",
                )


@pytest.fixture
def session(sqlite_db):
    with sqlite_db.session() as session:
        catalog.sync_catalog(session)
        yield session


# --- what the catalog holds --------------------------------------------------------------


@pytest.mark.parametrize(("code", "version", "sample"), list(_shipped_samples()))
def test_every_sample_payload_passes_its_own_schema(session, code, version, sample):
    event = catalog.get_event(session, code, version)
    Draft202012Validator.check_schema(event.json_schema)
    assert catalog.validate_payload(event, catalog.sample_payload(event, sample)) == []


def test_catalog_offers_every_centrepoint_event_and_the_ecg_sample_types(session):
    events = catalog.list_events(session)
    by_module = {
        m: {e.code for e in events if e.category.module == m} for m in ("centrepoint", "ecg")
    }
    assert by_module["centrepoint"] == CENTREPOINT_EVENTS
    ecg_samples = {s.name for e in events if e.category.module == "ecg" for s in e.samples}
    assert ECG_SAMPLE_TYPES <= ecg_samples
    # An ECG subscription has one version for all its events, so every ECG event has both.
    for code in {e.code for e in events if e.category.module == "ecg"}:
        assert {e.version for e in events if e.code == code} == {"v1", "v2"}, code
    assert all(e.samples for e in events), "every event has at least one sample payload"


@pytest.mark.parametrize("status", ["started", "completed", "error"])
def test_upload_samples_are_the_seed_examples(session, status):
    upload = catalog.get_event(session, "upload")
    assert catalog.sample_payload(upload, status) == SEED_UPLOAD_SAMPLES[status]


def test_identifiers_keep_each_events_own_spelling(session):
    upload = catalog.sample_payload(catalog.get_event(session, "upload"))
    raw = catalog.sample_payload(catalog.get_event(session, "raw_processing_complete"))
    assert isinstance(upload["studyId"], str) and isinstance(raw["study_id"], int)
    upload_event = catalog.get_event(session, "upload")
    assert catalog.validate_payload(upload_event, {**upload, "studyId": 189}) == []


def test_validation_sample_is_the_handshake_body(session):
    body = catalog.sample_payload(catalog.get_event(session, "validation"))
    assert set(body) == {"WebhookId", "ValidationCode"}


def test_ecg_sample_hashes_verify_with_the_seed_secret(session):
    for event in catalog.list_events(session):
        if event.category.module != "ecg":
            continue
        for sample in event.samples:
            body = sample.payload
            assert (body["eventType"], body["version"]) == (event.code, event.version)
            assert signing.payload_hash_valid(
                ECG_DEMO_SECRET, body["data"], body["createdAt"], body["hash"]
            ), f"{event.code} {event.version} {sample.name}"


def test_an_event_without_a_version_means_its_newest(session):
    assert catalog.get_event(session, "vitals.observations.created").version == "v2"
    assert catalog.get_event(session, "vitals.observations.created", "v1").version == "v1"


def test_sample_payload_is_a_copy_a_tester_may_edit(session):
    upload = catalog.get_event(session, "upload")
    edited = catalog.sample_payload(upload, "started")
    edited["status"] = "edited"
    assert catalog.sample_payload(upload, "started")["status"] == "started"


# --- a broken payload, explained ---------------------------------------------------------


def _broken(session, code, sample, change, version=None):
    event = catalog.get_event(session, code, version)
    payload = catalog.sample_payload(event, sample)
    change(payload)
    return catalog.validate_payload(event, payload)


def _set(path, value):
    def change(payload):
        node = payload
        for part in path[:-1]:
            node = node[part]
        node[path[-1]] = value

    return change


def _drop(path):
    def change(payload):
        node = payload
        for part in path[:-1]:
            node = node[part]
        del node[path[-1]]

    return change


BROKEN = [
    (
        "upload",
        "started",
        _set(["status"], "done"),
        ["status: 'done' is not one of 'started', 'completed', 'error'"],
    ),
    ("upload", "started", _drop(["uploadId"]), ["uploadId: required field is missing"]),
    (
        "upload",
        "completed",
        _drop(["lastEpochUTC"]),
        ["lastEpochUTC: required field is missing when status is 'completed'"],
    ),
    (
        "upload",
        "completed",
        _set(["firstEpochUTC"], "14/06/2016"),
        ["firstEpochUTC: '14/06/2016' is not an ISO 8601 date and time"],
    ),
    ("upload", "started", _set(["studyID"], "189"), ["studyID: unexpected field"]),
    (
        "raw_processing_complete",
        "completed",
        _set(["subject_id"], "19525"),
        ["subject_id: expected an integer, got the string '19525'"],
    ),
    (
        "data_retrieval_complete",
        "completed",
        _set(["files", 1, "file_size"], -3),
        ["files[1].file_size: -3 is below the minimum of 0"],
    ),
    (
        "data_retrieval_complete",
        "completed",
        _set(["files", 0, "max_event_timestamp"], 1563382546),
        ["files[0].max_event_timestamp: expected a string or null, got the number 1563382546"],
    ),
    (
        "messages.acknowledged",
        "nack",
        _drop(["data", "errors"]),
        ["data.errors: required field is missing when acknowledgement is 'nack'"],
    ),
    (
        "vitals.observations.created",
        "vitals-observation",
        _set(["data", "observations", 0, "value"], "74 bpm"),
        ["data.observations[0].value: expected a number, got the string '74 bpm'"],
    ),
]


@pytest.mark.parametrize(("code", "sample", "change", "expected"), BROKEN)
def test_a_broken_payload_is_explained_field_by_field(session, code, sample, change, expected):
    assert _broken(session, code, sample, change) == expected


def test_every_problem_in_a_payload_is_reported_at_once(session):
    upload = catalog.get_event(session, "upload")
    problems = catalog.validate_payload(upload, {"status": "done", "uploadId": 4.5})
    assert problems == [
        "status: 'done' is not one of 'started', 'completed', 'error'",
        "studyId: required field is missing",
        "subjectId: required field is missing",
        "uploadId: expected a string or an integer, got the number 4.5",
    ]
    assert catalog.validate_payload(upload, ["not", "an", "object"]) == [
        "payload: expected an object, got an array"
    ]


# --- sync on every start -----------------------------------------------------------------


def _counts(session):
    return tuple(
        session.scalar(select(func.count()).select_from(model))
        for model in (EventCategory, EventType, SamplePayload)
    )


def _without_catalog(db):
    """The database as a first start finds it: migrated, no catalog yet."""
    with db.session() as session:
        for model in (SamplePayload, EventType, EventCategory):
            session.execute(delete(model))
    return db


def test_sync_is_idempotent(any_db):
    _without_catalog(any_db)
    with any_db.session() as session:
        first = catalog.sync_catalog(session)
        counts = _counts(session)
    with any_db.session() as session:
        assert catalog.sync_catalog(session) == 0
        assert _counts(session) == counts
    shipped_events = sum(len(c["events"]) for c in catalog.shipped_categories())
    assert first > 0 and counts[1] == shipped_events


def test_sync_asks_one_query_when_nothing_changed(sqlite_db):
    with sqlite_db.session() as session:
        catalog.sync_catalog(session)
    statements = []
    sa_event.listen(sqlite_db.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    with sqlite_db.session() as session:
        catalog.sync_catalog(session)
    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) == 1
    assert not [s for s in statements if s.lstrip().upper().startswith(("INSERT", "UPDATE"))]


def _shipped_copy(tmp_path):
    folder = tmp_path / "catalog"
    shutil.copytree(catalog.catalog_dir(), folder)
    return folder


def test_a_new_app_version_refreshes_texts_but_keeps_user_statuses(any_db, tmp_path):
    with any_db.session() as session:
        catalog.sync_catalog(session)
        catalog.set_status(session, "event", "upload", "deactivate", "pilot site paused")
        catalog.set_status(session, "category", "phone-logs", "archive")
    folder = _shipped_copy(tmp_path)
    uploads = json.loads((folder / "uploads.json").read_text())
    uploads["events"][0]["description"] = "Reworded in a newer release."
    uploads["events"][0]["samples"].append(
        {"name": "started-again", "payload": SEED_UPLOAD_SAMPLES["started"]}
    )
    (folder / "uploads.json").write_text(json.dumps(uploads))
    with any_db.session() as session:
        assert catalog.sync_catalog(session, folder) == 2
    with any_db.session() as session:
        upload = catalog.get_event(session, "upload")
        assert upload.description == "Reworded in a newer release."
        assert [s.name for s in upload.samples][-1] == "started-again"
        assert upload.status == "inactive"
        assert catalog.get_category(session, "phone-logs").status == "archived"


def test_a_category_shipped_later_is_added_on_the_next_start(sqlite_db, tmp_path):
    with sqlite_db.session() as session:
        catalog.sync_catalog(session)
    folder = _shipped_copy(tmp_path)
    extra = json.loads((folder / "phone-logs.json").read_text())
    extra["code"], extra["name"] = "phone-logs-2", "Phone logs (pilot)"
    extra["events"][0]["code"] = "phone.logs.updated"
    (folder / "phone-logs-2.json").write_text(json.dumps(extra))
    with sqlite_db.session() as session:
        catalog.sync_catalog(session, folder)
    with sqlite_db.session() as session:
        added = catalog.get_event(session, "phone.logs.updated")
        assert added.category.code == "phone-logs-2" and added.samples


def test_an_installation_without_its_catalog_says_so(sqlite_db, tmp_path):
    with sqlite_db.session() as session, pytest.raises(NotFound, match="catalog is missing"):
        catalog.sync_catalog(session, tmp_path / "nowhere")


@pytest.mark.parametrize("moment", ["_stored_view", "_stored_entries"])
def test_two_programs_starting_on_a_new_database_both_succeed(any_db, monkeypatch, moment):
    """Another program fills the catalog while we look at it (before we compare, or between
    loading rows and writing ours): we lose the race quietly and our caller's unit of work
    still commits."""
    original = getattr(catalog, moment)
    raced = []

    def look_then_lose_the_race(session):
        seen = original(session)
        if not raced:
            raced.append(moment)
            monkeypatch.setattr(catalog, moment, original)
            with any_db.session() as other:
                catalog.sync_catalog(other)
        return seen

    _without_catalog(any_db)
    monkeypatch.setattr(catalog, moment, look_then_lose_the_race)
    with any_db.session() as session:
        catalog.sync_catalog(session)
        session.add(AuditEntry(actor="t", action="probe", entity_type="test", entity_id="1"))
    assert raced == [moment]
    with any_db.session() as session:
        assert session.scalar(select(func.count()).where(AuditEntry.action == "probe")) == 1
        assert _counts(session)[1] == sum(len(c["events"]) for c in catalog.shipped_categories())
        assert catalog.sync_catalog(session) == 0


# --- statuses ----------------------------------------------------------------------------


def test_restore_brings_an_archived_event_back_as_it_was(session):
    catalog.set_status(session, "event", "upload", "deactivate")
    catalog.set_status(session, "event", "upload", "archive")
    [change] = catalog.set_status(session, "event", "upload", "restore")
    assert (change.before, change.after) == ("archived", "inactive")
    catalog.set_status(session, "event", "upload", "activate")
    catalog.set_status(session, "event", "upload", "archive")
    [change] = catalog.set_status(session, "event", "upload", "restore")
    assert change.after == "active"


def test_an_event_in_an_archived_category_is_not_usable(session):
    catalog.set_status(session, "category", "vitals", "archive")
    vitals = catalog.get_event(session, "vitals.observations.created")
    assert vitals.status == "active"
    assert catalog.effective_status(vitals) == "archived"


def test_status_of_one_version_changes_only_that_version(session):
    catalog.set_status(session, "event", "vitals.observations.created", "deactivate", version="v1")
    statuses = {
        e.version: e.status
        for e in catalog.list_events(session)
        if e.code == "vitals.observations.created"
    }
    assert statuses == {"v1": "inactive", "v2": "active"}


def test_an_archived_event_must_be_restored_before_it_is_activated(session):
    catalog.set_status(session, "event", "validation", "archive")
    with pytest.raises(InvalidInput, match="archived; restore it before you activate it"):
        catalog.set_status(session, "event", "validation", "activate")


# --- the command line --------------------------------------------------------------------


def test_events_list_shows_code_version_category_status_and_name(cli):
    result = cli("events", "list")
    assert result.code == 0, result.err
    header, *rows = result.out.splitlines()
    assert header.split() == ["CODE", "VERSION", "CATEGORY", "STATUS", "NAME"]
    upload = next(r for r in rows if r.startswith("upload "))
    assert upload.split()[:4] == ["upload", "v1", "uploads", "active"]
    listed = cli("events", "list", "--json").json()
    assert {(e["code"], e["version"]) for e in listed} >= {
        ("upload", "v1"),
        ("vitals.observations.created", "v2"),
    }


def test_deactivating_an_event_shows_in_the_list_and_the_audit_trail(cli):
    result = cli("events", "deactivate", "upload", "--reason", "pilot site paused")
    assert result.code == 0, result.err
    assert result.out == "event upload v1: active -> inactive\n"
    upload = next(e for e in cli("events", "list", "--json").json() if e["code"] == "upload")
    assert upload["status"] == "inactive"
    [entry] = cli("audit", "--json").json()
    assert entry["action"] == "event.deactivate"
    assert (entry["entity_id"], entry["reason"]) == ("upload@v1", "pilot site paused")
    assert (entry["before"], entry["after"]) == ({"status": "active"}, {"status": "inactive"})


def test_archive_and_restore_a_category_from_the_command_line(cli):
    assert cli("events", "archive", "vitals", "--category").code == 0
    table = cli("events", "list").out
    assert "active (category archived)" in table
    restored = cli("events", "restore", "vitals", "--category", "--reason", "back in the study")
    assert restored.out == "category vitals: archived -> active\n"
    actions = [e["action"] for e in cli("audit", "--json").json()]
    assert actions == ["category.restore", "category.archive"]


def test_repeating_a_status_verb_changes_nothing(cli):
    cli("events", "deactivate", "upload")
    again = cli("events", "deactivate", "upload")
    assert (again.code, again.out) == (0, "event upload v1 is already inactive.\n")
    assert len(cli("audit", "--json").json()) == 1


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["events", "show", "uplod"],
            "There is no event 'uplod' in the catalog; did you mean 'upload'?",
        ),
        (
            ["events", "activate", "vitals"],
            "There is no event 'vitals' in the catalog; did you mean "
            "'vitals.observations.created'?",
        ),
        (
            ["events", "archive", "labs", "--category"],
            "There is no category 'labs' in the catalog; `webhook-desk events list` shows them.",
        ),
        (
            ["events", "show", "upload", "--version", "v9"],
            "Event 'upload' has no version 'v9'; it has v1.",
        ),
    ],
)
def test_an_unknown_event_is_one_clear_line(cli, argv, message):
    result = cli(*argv)
    assert (result.code, result.out, result.err) == (1, "", f"webhook-desk: {message}\n")


def test_events_show_prints_schema_and_samples(cli):
    shown = cli("events", "show", "data_retrieval_complete", "--json").json()
    assert shown["schema"]["properties"]["files"]["type"] == "array"
    assert shown["samples"][0]["payload"]["files"][0]["file_type"] == "avro"
    text = cli("events", "show", "upload").out
    assert "sample completed:" in text and '"firstEpochUTC"' in text


def test_events_validate_reports_each_problem_and_fails(cli, tmp_path):
    payload = tmp_path / "payload.json"
    payload.write_text(json.dumps({"status": "done", "uploadId": "1", "studyId": "2"}))
    result = cli("events", "validate", "upload", "--payload", payload)
    assert result.code == 1
    assert result.err.splitlines() == [
        "The payload is not a valid upload v1:",
        "  status: 'done' is not one of 'started', 'completed', 'error'",
        "  subjectId: required field is missing",
    ]
    good = cli("events", "validate", "upload", stdin=json.dumps(SEED_UPLOAD_SAMPLES["error"]))
    assert (good.code, good.out) == (0, "The payload is a valid upload v1.\n")
    broken = cli("events", "validate", "upload", stdin="{'status': 'done'}")
    assert broken.code == 1 and broken.err.startswith("webhook-desk: The payload in standard")
    assert len(broken.err.splitlines()) == 1


def test_sample_lookup_names_the_samples_there_are(session):
    upload = catalog.get_event(session, "upload")
    with pytest.raises(NotFound, match="has no sample 'finished'; it has started, completed"):
        catalog.sample_payload(upload, "finished")
