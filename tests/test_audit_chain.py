"""The audit trail is tamper-evident: every change is chained to the one before it, and
`audit verify` names the first entry that was altered, inserted or deleted outside the app."""

from __future__ import annotations

import csv
import subprocess

import pytest
from sqlalchemy import create_engine, text

from webhook_desk.db.migrate import upgrade
from webhook_desk.secrets import SecretStore
from webhook_desk.services import audit, registrations
from webhook_desk.services.registrations import RegistrationInput
from webhook_desk.services.startup import open_database


def _changes(db, count: int = 3) -> None:
    """A coordinator's day: a registration added, then disabled and enabled again."""
    data = RegistrationInput(url="https://hooks.example.org/cp", study_id="189", events=["upload"])
    with db.session() as session:
        reg, _ = registrations.add(session, SecretStore(), data)
        reg_id = reg.id
    for i in range(count - 1):
        with db.session() as session:
            action = "disable" if i % 2 == 0 else "enable"
            registrations.set_status(session, reg_id, action, reason=f"step {i}")


def _verify(db) -> audit.ChainState:
    with db.session() as session:
        return audit.verify(session)


def _sql(db, statement: str) -> None:
    with db.engine.begin() as connection:
        connection.execute(text(statement))


@pytest.fixture
def db(any_db, memory_keyring):
    _changes(any_db, 5)
    return any_db


def test_changes_made_in_the_app_form_a_chain_that_verifies(db):
    state = _verify(db)
    assert (state.ok, state.entries, state.problem) == (True, 5, None)
    with db.session() as session:
        newest = audit.entries(session, limit=1)[0]
        assert newest.entry_hash == state.head_hash
        assert newest.host and newest.actor


@pytest.mark.parametrize(
    ("tamper", "sentence"),
    [
        ("UPDATE audit_entry SET reason = 'nothing to see' WHERE id = 3", "entry 3 was altered"),
        ("UPDATE audit_entry SET actor = 'someone else' WHERE id = 1", "entry 1 was altered"),
        ("DELETE FROM audit_entry WHERE id = 2", "entry 3 does not follow entry 1"),
        (
            "INSERT INTO audit_entry (id, at, actor, action, entity_type, entity_id, prev_hash,"
            " entry_hash) SELECT 6, at, actor, action, entity_type, entity_id, prev_hash,"
            " entry_hash FROM audit_entry WHERE id = 3",
            "entry 6 does not follow entry 5",
        ),
        ("DELETE FROM audit_entry WHERE id = 5", "entries were deleted from the end"),
    ],
    ids=["reason-edited", "actor-edited", "middle-deleted", "row-appended", "tail-cut"],
)
def test_verify_names_the_first_break(db, tamper, sentence):
    _sql(db, tamper)
    state = _verify(db)
    assert not state.ok
    assert sentence in state.problem


def test_cli_audit_verify_says_intact_or_names_the_break(db, cli):
    good = cli("audit", "verify", db=db)
    assert good.code == 0, good.err
    assert "5 entries, intact" in good.out
    _sql(db, "UPDATE audit_entry SET reason = 'x' WHERE id = 2")
    bad = cli("audit", "verify", db=db)
    assert bad.code == 1
    assert bad.err == "webhook-desk: Audit entry 2 was altered after it was written.\n"
    assert cli("audit", "verify", "--json", db=db).json()["ok"] is False


def test_entries_written_before_the_chain_are_chained_by_the_upgrade(tmp_path, memory_keyring):
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    engine = create_engine(url)
    upgrade(engine, "0005")
    with engine.begin() as connection:
        for i in (1, 2):
            connection.execute(
                text(
                    "INSERT INTO audit_entry (id, at, actor, action, entity_type, entity_id,"
                    f" reason) VALUES ({i}, '2026-01-0{i} 10:00:00.000000', 'ana',"
                    f" 'registration.add', 'registration', '{i}', 'old {i}')"
                )
            )
    engine.dispose()
    db = open_database(url)
    assert (_verify(db).ok, _verify(db).entries) == (True, 2)
    _changes(db, 1)
    assert (_verify(db).ok, _verify(db).entries) == (True, 3)


@pytest.mark.parametrize("suffix", [".csv", ".pdf"])
def test_a_filed_export_carries_the_head_and_is_checked_later(db, cli, tmp_path, suffix):
    filed = tmp_path / f"audit{suffix}"
    assert cli("audit", "export", "--output", filed, db=db).code == 0
    if suffix == ".csv":
        first = filed.read_text().splitlines()[0]
    else:
        pdf_text = subprocess.run(["pdftotext", filed, "-"], capture_output=True, text=True)
        first = " ".join(pdf_text.stdout.split("\n\n")[0].split())  # the head line, wrapped
    assert first.startswith("# webhook-desk audit trail; entries=5; head=")
    assert "verified=yes" in first
    _changes(db, 2)  # the trail goes on after filing: still the same first five
    later = cli("audit", "verify", "--against", filed, db=db)
    assert later.code == 0 and "matches this trail's first 5 entries" in later.out

    _sql(db, "DELETE FROM audit_entry")  # a whole new, consistent trail written over it
    _sql(db, "UPDATE audit_head SET entries = 0, head_hash = ''")
    with db.session() as session:
        registrations.set_status(session, 1, "disable", reason="rewritten history")
    assert _verify(db).ok
    rewritten = cli("audit", "verify", "--against", filed, db=db)
    assert rewritten.code == 1
    assert "the trail was rewritten since it was filed" in rewritten.err


def test_the_audit_csv_keeps_reasons_a_spreadsheet_would_run_as_text(db, cli, tmp_path):
    with db.session() as session:
        registrations.set_status(session, 1, "disable", reason='=HYPERLINK("http://evil")')
        registrations.set_status(session, 1, "enable", reason="-1 day")
    filed = tmp_path / "audit.csv"
    assert cli("audit", "export", "--output", filed, db=db).code == 0
    rows = list(csv.DictReader(filed.read_text().splitlines()[1:]))
    assert [r["reason"] for r in rows[-2:]] == ['\'=HYPERLINK("http://evil")', "'-1 day"]
    assert rows[0]["reason"] == ""  # no reason stays empty, not a lone quote
