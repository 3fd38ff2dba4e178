"""An analyst exports the history pseudonymised: no participant's identifier is in any format,
the same participant has the same pseudonym in every export (and format), so rows still join,
and the file says it is pseudonymised. The salts live in the real OS keyring."""

from __future__ import annotations

import csv
import json
import re
import zipfile

import pytest
from receiver_client import deliver_to_receiver

from webhook_desk.services import catalog, firing

# (subject id, subject identifier) of two participants of study 1064.
PARTICIPANTS = (("48113", "KNEE-0417-AB"), ("20733", "HIP-2358-CD"))
IDENTIFIERS = [value for pair in PARTICIPANTS for value in pair]
PSEUDONYM = re.compile(r"psn-[0-9a-f]{20}")
FORMATS = ("csv", "xlsx", "ndjson", "v3", "v1")


def _payload(db, subject: str, identifier: str) -> str:
    """A data retrieval about a participant: ids in the fields and inside a file name."""
    with db.session() as session:
        sample = catalog.sample_payload(catalog.get_event(session, "data_retrieval_complete"))
    data = {
        **sample,
        "study_id": 1064,
        "subject_id": int(subject),
        "subject_identifier": identifier,
    }
    files = enumerate(data["files"])
    data["files"] = [{**f, "file_name": f"{subject}_TAS1Z12345678_{i}.avro"} for i, f in files]
    return json.dumps(data)


@pytest.fixture
def history(sqlite_db, secret_service):
    """Four deliveries to the built-in receiver, two about each participant."""
    payloads = [_payload(sqlite_db, *participant) for participant in PARTICIPANTS * 2]
    assert len(deliver_to_receiver(sqlite_db, "data_retrieval_complete", payloads)) == 4
    return sqlite_db


def _text(path) -> str:
    """What a reader of the file sees: an XLSX's sheets unzipped, any other file as is."""
    if path.suffix != ".xlsx":
        return path.read_text(encoding="utf-8")
    with zipfile.ZipFile(path) as book:
        return "\n".join(book.read(name).decode("utf-8") for name in book.namelist())


@pytest.mark.parametrize(
    ("fmt", "attempts"),
    [(fmt, False) for fmt in FORMATS] + [(fmt, True) for fmt in ("csv", "xlsx", "ndjson")],
)
def test_pseudonymised_export_has_no_identifier_and_stable_pseudonyms(
    history, cli, tmp_path, fmt, attempts
):
    texts = []
    for run in ("first", "second"):
        out = tmp_path / f"{run}.{fmt}"
        argv = ["export", "--format", fmt, "--output", out, "--pseudonymise"]
        result = cli(*argv, *(["--attempts"] if attempts else []), db=history)
        assert result.code == 0, result.err
        assert "(pseudonymised)" in result.out
        texts.append(_text(out))
    for text in texts:
        for identifier in IDENTIFIERS:
            assert identifier not in text, (fmt, identifier)
        assert "Pseudonymised" in text or "subject_pseudonym" in text
    first, second = (sorted(set(PSEUDONYM.findall(t))) for t in texts)
    # subject id and identifier of each participant, in study 1064: four pseudonyms, twice
    assert len(first) == (2 if fmt in ("csv", "xlsx") else 4)
    assert first == second


def _csv_pseudonyms(path) -> set[str]:
    with open(path, encoding="utf-8") as handle:
        return {row["subject_pseudonym"] for row in csv.DictReader(handle)}


def test_a_participant_has_one_pseudonym_across_formats(history, cli, tmp_path):
    """CSV rows join NDJSON payloads: the subject_id column and the payload's subject_id
    carry the same pseudonym."""
    table, lines = tmp_path / "h.csv", tmp_path / "h.ndjson"
    for fmt, out in (("csv", table), ("ndjson", lines)):
        assert (
            cli("export", "--format", fmt, "--output", out, "--pseudonymise", db=history).code == 0
        )
    records = [json.loads(line) for line in lines.read_text().splitlines()]
    in_payloads = {json.loads(r["payload"])["subject_id"] for r in records}
    assert {r["subject_pseudonym"] for r in records} == in_payloads == _csv_pseudonyms(table)
    assert len(in_payloads) == 2


def test_without_the_option_the_export_keeps_the_identifiers(history, cli, tmp_path):
    out = tmp_path / "h.csv"
    assert cli("export", "--format", "csv", "--output", out, db=history).code == 0
    text = out.read_text()
    assert "subject_id" in text and PARTICIPANTS[0][0] in text
    assert not PSEUDONYM.search(text)


@pytest.mark.postgres
def test_pseudonymised_csv_on_postgresql(pg_db, secret_service, cli, tmp_path):
    """The CSV lines are built by PostgreSQL too, with the pseudonyms from the temporary table."""
    with pg_db.session() as session:
        for participant in PARTICIPANTS:
            body = _payload(pg_db, *participant)
            firing.fire(
                session, "data_retrieval_complete", url="http://127.0.0.1:9/h", payload=body
            )
    out = tmp_path / "h.csv"
    assert cli("export", "--format", "csv", "--output", out, "--pseudonymise", db=pg_db).code == 0
    assert not any(identifier in out.read_text() for identifier in IDENTIFIERS)
    assert all(PSEUDONYM.fullmatch(p) for p in _csv_pseudonyms(out))
    assert len(_csv_pseudonyms(out)) == 2
