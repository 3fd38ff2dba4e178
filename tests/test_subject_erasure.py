"""A participant asks for their data to be erased: after `erase-subject`, their identifier is
nowhere in the database files, the text index, the inbox or any export; other participants
are untouched, counts stay true, and the audit trail (still intact) records the erasure."""

from __future__ import annotations

import json

import pytest
from receiver_client import deliver_to_receiver

from webhook_desk.history.queries import Filters, count
from webhook_desk.services import audit, catalog, delivery_detail, firing

ERASED = "778812993301"
KEPT = "554433110092"
FORMATS = ("csv", "xlsx", "ndjson", "v3", "v1")


def _payload(db, study: str, subject: str) -> str:
    with db.session() as session:
        sample = catalog.sample_payload(catalog.get_event(session, "upload"))
    data = {**sample, "studyId": study, "subjectId": subject}
    return json.dumps(data)


@pytest.fixture
def history(sqlite_db, memory_keyring):
    """Five uploads delivered to the built-in receiver: three about ERASED, two about KEPT."""
    subjects = (ERASED, ERASED, KEPT, ERASED, KEPT)
    payloads = [_payload(sqlite_db, "189", subject) for subject in subjects]
    assert len(deliver_to_receiver(sqlite_db, "upload", payloads)) == 5
    return sqlite_db


def _database_bytes(db) -> bytes:
    path = db.engine.url.database
    found = b""
    for suffix in ("", "-wal", "-shm"):
        try:
            with open(path + suffix, "rb") as handle:
                found += handle.read()
        except FileNotFoundError:
            pass
    return found


def test_erasure_leaves_the_identifier_nowhere_and_keeps_the_rest(history, cli, tmp_path):
    assert _database_bytes(history).count(ERASED.encode()) > 0  # it was there
    certificate = tmp_path / "erasure.json"
    result = cli(
        "erase-subject", "--study", "189", "--subject", ERASED, "--reason", "DSAR-2291",
        "--certificate", certificate, "--json", db=history,
    )  # fmt: skip
    assert result.code == 0, result.err
    erased = result.json()
    assert (erased["deliveries"], erased["attempts"], erased["captures"]) == (3, 3, 3)

    assert _database_bytes(history).count(ERASED.encode()) == 0
    assert _database_bytes(history).count(KEPT.encode()) > 0
    for fmt in FORMATS:
        out = tmp_path / f"history.{fmt}"
        assert cli("export", "--format", fmt, "--output", out, "--attempts", db=history).code == 0
        assert ERASED.encode() not in out.read_bytes(), fmt
    assert cli("history", "--text", ERASED, "--json", db=history).json() == []

    with history.session() as session:
        assert count(session, Filters(study="189")) == 5  # tombstones keep the counts
        assert audit.verify(session).ok
        entry = audit.entries(session, limit=1)[0]
        assert (entry.action, entry.reason, entry.after["deliveries"]) == (
            "subject.erase",
            "DSAR-2291",
            3,
        )
    filed = json.loads(certificate.read_text())
    assert (filed["subject"], filed["deliveries"], filed["audit_entry"]) == (
        ERASED,
        3,
        entry.id,
    )
    again = cli("erase-subject", "--study", "189", "--subject", ERASED, db=history)
    assert again.code == 0 and "Nothing about that participant" in again.out


def test_a_dry_run_counts_and_changes_nothing(history, cli):
    result = cli("erase-subject", "--study", "189", "--subject", ERASED, "--dry-run", db=history)
    assert result.out == (
        "Would erase 3 deliveries (3 attempts) and 3 receiver captures about that participant "
        "in study 189.\n"
    )
    assert _database_bytes(history).count(ERASED.encode()) > 0


def test_the_same_identifier_in_another_study_is_not_erased(any_db, memory_keyring, cli):
    with any_db.session() as session:
        for study in ("189", "190"):
            body = _payload(any_db, study, ERASED)
            firing.fire(session, "upload", url="http://127.0.0.1:9/x", payload=body)
    result = cli("erase-subject", "--study", "189", "--subject", ERASED, "--json", db=any_db)
    assert result.code == 0, result.err
    assert result.json()["deliveries"] == 1
    assert cli("history", "--study", "189", "--subject", ERASED, "--json", db=any_db).json() == []
    rows = cli("history", "--study", "190", "--json", db=any_db).json()
    assert [row["subject_id"] for row in rows] == [ERASED]


def test_an_erased_delivery_says_so_in_its_detail(history, cli):
    cli("erase-subject", "--study", "189", "--subject", ERASED, db=history)
    with history.session() as session:
        erased = [
            d for d in (delivery_detail.detail(session, i) for i in range(1, 6)) if d["erased_at"]
        ]
    assert len(erased) == 3
    assert erased[0]["payload"].startswith("(Erased ")
    assert "the payload's SHA-256 was " in erased[0]["attempt_chain"][0]["request_body"]
