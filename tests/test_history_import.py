"""Importing CentrePoint history as the platform returns it: the seeds' samples, re-imports
that add nothing, exports that read back to the same records, and bad files refused whole
with the line and what was expected."""

import json
import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select

from webhook_desk.db.models import Attempt, Delivery
from webhook_desk.errors import InvalidInput
from webhook_desk.history.export import export
from webhook_desk.history.importer import import_file
from webhook_desk.history.queries import Filters
from webhook_desk.services.startup import open_database

FIXTURES = Path(__file__).parent / "fixtures"
SEED_V3 = FIXTURES / "centrepoint_v3_history_seed001.json"
SEED_V1 = FIXTURES / "centrepoint_v1_history_seed002.json"


def counts(db) -> tuple[int, int]:
    with db.session() as session:
        return (
            session.scalar(select(func.count()).select_from(Delivery)),
            session.scalar(select(func.count()).select_from(Attempt)),
        )


def records(db) -> list[dict]:
    """What a user sees of each delivery and its attempts, without local ids."""
    with db.session() as session:
        found = []
        for d in session.scalars(select(Delivery).order_by(Delivery.uuid)):
            found.append(
                {
                    "hash": d.uuid,
                    "event": d.event_code,
                    "payload": d.payload,
                    "status": d.status,
                    "code": d.response_code,
                    "error": d.error,
                    "study": d.study_id,
                    "subject": d.subject_id,
                    "created": d.created_at.replace(microsecond=0),
                    "attempts": [
                        (
                            a.number,
                            a.started_at.replace(microsecond=0),
                            a.response_code,
                            a.error,
                            a.body_sent,
                            a.response_body or "",
                        )
                        for a in d.attempts
                    ],
                }
            )
        return found


def test_seed_001_page_with_its_trailing_comma_imports_once(any_db):
    first = import_file(any_db, SEED_V3)
    again = import_file(any_db, SEED_V3)
    assert (first.shape, first.deliveries_added, first.attempts_added) == ("v3", 1, 2)
    assert (again.deliveries_added, again.attempts_added, again.already_present) == (0, 0, 2)
    assert counts(any_db) == (1, 2)
    [delivery] = records(any_db)
    assert delivery["hash"] == "0f9G3fde-8Baf-0c83-1591-517307kpp19c"
    assert (delivery["study"], delivery["subject"], delivery["status"]) == ("8", "2358", "failed")


def test_seed_002_records_import_as_one_delivery(sqlite_db):
    result = import_file(sqlite_db, SEED_V1)
    assert (result.shape, result.items, result.deliveries_added) == ("v1", 2, 1)
    [delivery] = records(sqlite_db)
    assert [a[2] for a in delivery["attempts"]] == [None, 200]
    assert delivery["status"] == "succeeded"


@pytest.mark.parametrize("fmt", ["v3", "v1"])
def test_an_export_imports_back_to_the_same_records(sqlite_db, tmp_path, fmt):
    import_file(sqlite_db, SEED_V3)
    import_file(sqlite_db, SEED_V1)  # the same hash: its attempts join the delivery
    export(sqlite_db, Filters(), fmt, tmp_path / "out.json")
    fresh = open_database(f"sqlite:///{tmp_path / 'fresh.sqlite3'}")
    import_file(fresh, tmp_path / "out.json")
    assert records(fresh) == records(sqlite_db)
    assert len(records(fresh)[0]["attempts"]) == 4
    fresh.dispose()


def test_several_v3_pages_in_one_file_import_together(sqlite_db, tmp_path):
    page = json.loads((FIXTURES / "centrepoint_v3_history_seed001.json").read_text().replace(
        "},\n    ],", "}\n    ],"
    ))  # fmt: skip
    other = json.loads(json.dumps(page).replace("0f9G3fde", "1a2b3c4d"))
    (tmp_path / "pages.json").write_text(json.dumps(page) + "\n" + json.dumps(other) + "\n")
    assert import_file(sqlite_db, tmp_path / "pages.json").deliveries_added == 2


BAD_FILES = [
    (
        "notes.json",
        "Deliveries were fine today.\n",
        "notes.json line 1: this is not JSON (Expecting value); expected CentrePoint v3 history "
        "pages or a list of v1 history records.",
    ),
    (
        "cut.json",
        SEED_V3.read_text()[:1500],
        "cut.json line 27: the file ends before its JSON does (cut short?); expected CentrePoint "
        "v3 history pages or a list of v1 history records.",
    ),
    (
        "studies.json",
        '{\n  "studies": [],\n  "totalCount": 0\n}\n',
        "studies.json line 1 is not CentrePoint history: found an object with studies, "
        "totalCount; expected a v3 page (with items) or v1 records (with WebhookEvent).",
    ),
    (
        "half.json",
        SEED_V3.read_text().replace('"createdDate": "2019-06-03T20:41:01",\n          "lastSentDate'
                                    '": "2019-06-04', '"lastSentDate": "2019-06-04'),
        "half.json line 20: a v3 history item needs createdDate.",
    ),
    (
        "empty.json",
        "[]",
        "empty.json holds an empty list; expected CentrePoint v3 history pages or a list of v1 "
        "history records.",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("name", "content", "message"), BAD_FILES, ids=[b[0] for b in BAD_FILES])
def test_a_bad_file_is_refused_whole_with_the_line_and_what_was_expected(
    sqlite_db, tmp_path, name, content, message
):
    (tmp_path / name).write_text(content)
    with pytest.raises(InvalidInput) as raised:
        import_file(sqlite_db, tmp_path / name)
    assert str(raised.value) == message
    assert counts(sqlite_db) == (0, 0)


def test_cli_import_says_what_it_added(sqlite_db, cli, tmp_path):
    shutil.copy(SEED_V1, tmp_path / "history.json")
    result = cli("import", tmp_path / "history.json", db=sqlite_db)
    assert result.code == 0, result.err
    assert result.out.strip() == (
        f"Imported 1 delivery with 2 attempts from {tmp_path / 'history.json'} "
        "(CentrePoint v1 history); 0 attempts already present."
    )
    bad = cli("import", tmp_path / "nothing.json", db=sqlite_db)
    assert (bad.code, bad.err.strip()) == (
        1,
        f"webhook-desk: There is no file {tmp_path / 'nothing.json'}.",
    )


def test_imported_secret_headers_are_stored_redacted_the_users_own_too(sqlite_db, tmp_path):
    from webhook_desk import redaction

    with sqlite_db.session() as session:
        redaction.set_user_header_names(session, ["X-Api-Key"])
    added = {"Authorization": ["Bearer tok-123"], "x-api-key": ["key-456"]}
    cookie = {"Set-Cookie": ["sid=cookie-789"]}
    text = SEED_V3.read_text()
    text = text.replace('\\"Host\\":', json.dumps(json.dumps(added))[2:-2] + ',\\"Host\\":')
    text = text.replace('\\"Server\\":', json.dumps(json.dumps(cookie))[2:-2] + ',\\"Server\\":')
    (tmp_path / "page.json").write_text(text)
    assert import_file(sqlite_db, tmp_path / "page.json").deliveries_added == 1
    with sqlite_db.session() as session:
        attempt = session.scalars(select(Attempt)).first()
        kept = json.dumps([attempt.request_headers, attempt.response_headers])
    assert attempt.request_headers["Authorization"] == "Bearer [redacted]"
    assert attempt.request_headers["x-api-key"] == "[redacted]"
    assert not any(secret in kept for secret in ("tok-123", "key-456", "cookie-789"))
