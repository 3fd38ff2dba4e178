"""Exporting what a History filter selects: every format, streamed with progress and cancel,
never a credential, an unwritable path refused before any work."""

import csv
import json
import uuid
from datetime import UTC, datetime, timedelta

import openpyxl
import pytest

from webhook_desk.db.models import Attempt, Delivery
from webhook_desk.errors import UserError
from webhook_desk.history import export as export_module
from webhook_desk.history.export import export
from webhook_desk.history.queries import Filters

START = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
SECRET = "Y3A6c2VjcmV0LXZhbHVl"


def add_history(db, count: int) -> None:
    """`count` deliveries to study 8, every third failed once before it succeeded."""
    with db.session() as session:
        for n in range(count):
            payload = json.dumps({"studyId": "8", "subjectId": str(2000 + n), "note": 'a, "b"'})
            delivery = Delivery(
                uuid=str(uuid.UUID(int=n + 1)),
                registration_id=None,
                target_url="https://hooks.example.org/cp",
                event_code="upload",
                payload=payload,
                study_id="8",
                subject_id=str(2000 + n),
                status="succeeded",
                response_code=200,
                attempt_count=2 if n % 3 == 0 else 1,
                error='=HYPERLINK("http://evil")' if n == 1 else None,
                created_at=START + timedelta(minutes=n),
                last_sent_at=START + timedelta(minutes=n, seconds=5),
            )
            codes = [503, 200] if n % 3 == 0 else [200]
            for number, code in enumerate(codes, 1):
                delivery.attempts.append(
                    Attempt(
                        number=number,
                        started_at=START + timedelta(minutes=n, seconds=5 * (number - 1)),
                        url=delivery.target_url,
                        request_headers={"Authorization": f"Basic {SECRET}", "X-Id": str(n)},
                        request_body=None,
                        response_code=code,
                        response_headers={"Server": "nginx"},
                        response_body="" if code == 200 else "busy",
                        error=None if code == 200 else "Service Unavailable",
                    )
                )
            session.add(delivery)


@pytest.fixture
def history(any_db):
    add_history(any_db, 6)
    return any_db


def read_csv(path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_csv_has_one_row_per_delivery_newest_first_quoted_safely(history, tmp_path):
    result = export(history, Filters(), "csv", tmp_path / "h.csv")
    rows = read_csv(tmp_path / "h.csv")
    assert result.rows == 6 and len(rows) == 6
    assert [r["subject_id"] for r in rows] == ["2005", "2004", "2003", "2002", "2001", "2000"]
    assert rows[-1]["created_at"] == "2026-03-01T09:00:00.000000Z"
    assert rows[-1]["attempts"] == "2" and rows[-1]["response_code"] == "200"
    assert rows[4]["error"] == '\'=HYPERLINK("http://evil")'  # never run as a formula
    assert rows[0]["registration_id"] == "" and rows[0]["error"] == ""


def test_csv_with_attempts_has_one_row_per_attempt(history, tmp_path):
    export(history, Filters(), "csv", tmp_path / "a.csv", attempts=True)
    rows = read_csv(tmp_path / "a.csv")
    assert len(rows) == 8
    first = [r for r in rows if r["subject_id"] == "2003"]
    assert [(r["attempt"], r["response_code"], r["error"]) for r in first] == [
        ("1", "503", "Service Unavailable"),
        ("2", "200", ""),
    ]


def test_export_follows_the_filter(history, tmp_path):
    filters = Filters(subject="2004", text="studyId")
    assert export(history, filters, "csv", tmp_path / "one.csv").rows == 1
    assert [r["subject_id"] for r in read_csv(tmp_path / "one.csv")] == ["2004"]


def test_ndjson_carries_bodies_and_headers_without_the_credential(history, tmp_path):
    export(history, Filters(), "ndjson", tmp_path / "d.ndjson")
    export(history, Filters(), "ndjson", tmp_path / "a.ndjson", attempts=True)
    deliveries = [json.loads(line) for line in (tmp_path / "d.ndjson").read_text().splitlines()]
    attempts = [json.loads(line) for line in (tmp_path / "a.ndjson").read_text().splitlines()]
    assert json.loads(deliveries[0]["payload"])["subjectId"] == "2005"
    assert attempts[0]["request_headers"] == {"Authorization": "Basic [redacted]", "X-Id": "5"}
    assert attempts[0]["request_body"] == deliveries[0]["payload"]
    assert SECRET not in (tmp_path / "a.ndjson").read_text()


@pytest.mark.parametrize("fmt", ["v3", "v1"])
def test_centrepoint_shapes_list_every_attempt_and_no_credential(history, tmp_path, fmt):
    result = export(history, Filters(), fmt, tmp_path / f"h.{fmt}.json")
    text = (tmp_path / f"h.{fmt}.json").read_text()
    document = json.loads(text)
    items = document["items"] if fmt == "v3" else document
    assert result.rows == len(items) == 8
    if fmt == "v3":
        assert list(document) == ["items", "links", "totalCount", "limit", "offset"]
        assert document["totalCount"] == 8
    assert SECRET not in text and "Basic [redacted]" in text


def test_xlsx_continues_on_a_new_sheet_past_the_row_limit_and_says_so(
    history, tmp_path, monkeypatch
):
    monkeypatch.setattr(export_module, "ROWS_PER_SHEET", 4)  # a header and three rows a sheet
    result = export(history, Filters(), "xlsx", tmp_path / "h.xlsx")
    book = openpyxl.load_workbook(tmp_path / "h.xlsx", read_only=True)
    assert book.sheetnames == ["Deliveries", "Deliveries (2)"]
    rows = [list(r) for sheet in book.worksheets for r in sheet.iter_rows(values_only=True)]
    assert rows[0][:2] == ["id", "delivery_id"] and len(rows) == 8  # 2 headers + 6 rows
    assert result.notes == [
        "Excel holds 4 rows a sheet, so rows continue on sheet 'Deliveries (2)'."
    ]
    assert rows[6][14] == '=HYPERLINK("http://evil")'  # kept as text, not a formula


def test_xlsx_times_are_excel_dates_that_sort_and_compute(history, tmp_path):
    export(history, Filters(), "xlsx", tmp_path / "h.xlsx")
    book = openpyxl.load_workbook(tmp_path / "h.xlsx")
    sheet = book["Deliveries"]
    header = [c.value for c in sheet[1]]
    created = sheet.cell(row=2, column=header.index("created_at") + 1)
    sent = sheet.cell(row=2, column=header.index("last_sent_at") + 1)
    assert created.is_date and created.number_format == "yyyy-mm-dd hh:mm:ss"
    assert created.value == (START + timedelta(minutes=5)).replace(tzinfo=None)  # newest, UTC
    assert sent.value - created.value == timedelta(seconds=5)
    export(history, Filters(), "xlsx", tmp_path / "a.xlsx", attempts=True)
    attempts = openpyxl.load_workbook(tmp_path / "a.xlsx")["Attempts"]
    header = [c.value for c in attempts[1]]
    assert attempts.cell(row=2, column=header.index("started_at") + 1).is_date


def test_progress_is_reported_and_cancel_leaves_no_file(sqlite_db, tmp_path, monkeypatch):
    add_history(sqlite_db, 25)
    monkeypatch.setattr(export_module, "CHUNK", 10)
    seen, folder = [], tmp_path / "out"
    folder.mkdir()
    result = export(
        sqlite_db, Filters(), "csv", folder / "c.csv",
        progress=lambda done, total: seen.append((done, total)),
        cancelled=lambda: len(seen) >= 2,
    )  # fmt: skip
    assert result.cancelled and seen == [(10, 25), (20, 25)]
    assert list(folder.iterdir()) == []


def test_an_unwritable_path_fails_before_any_work(sqlite_db, tmp_path):
    calls = []
    with pytest.raises(
        UserError, match=r"^Cannot write .*missing/h.csv: No such file or directory\.$"
    ):
        export(sqlite_db, Filters(), "csv", tmp_path / "missing" / "h.csv", progress=calls.append)
    assert calls == []


def test_cli_export_says_how_many_and_where(history, cli, tmp_path):
    out = tmp_path / "h.csv"
    result = cli("export", "--study", "8", "--format", "csv", "--output", out, db=history)
    assert result.code == 0, result.err
    assert result.out.strip() == f"Exported 6 deliveries to {out}."
    bad = cli("export", "--format", "csv", "--output", tmp_path / "no" / "x.csv", db=history)
    assert bad.code == 1 and bad.err.startswith("webhook-desk: Cannot write ")


def test_ndjson_attempts_export_after_a_connection_failure(cli, sqlite_db, tmp_path):
    """An attempt that got no response has no response headers (stored as JSON null)."""
    assert cli("fire", "upload", "--url", "http://127.0.0.1:9/closed").code == 0
    assert cli("deliver", "--until-idle").code == 0
    out = tmp_path / "a.ndjson"
    result = cli("export", "--format", "ndjson", "--attempts", "--output", out)
    assert result.code == 0, result.err
    [record] = [json.loads(line) for line in out.read_text().splitlines()]
    assert record["response_code"] is None and record["response_headers"] is None
    assert record["error"] and record["request_headers"]["X-ActiGraph-Event"] == "upload"


KILLED_EXPORT = """
import sys, time
from webhook_desk.history import export as module
from webhook_desk.history.queries import Filters
from webhook_desk.services.startup import open_database

module.CHUNK = 10

def progress(done, total):
    print("writing", flush=True)
    time.sleep(600)  # killed here, mid-file

module.export(open_database(sys.argv[1]), Filters(), "xlsx", sys.argv[2], progress=progress)
"""


def test_a_killed_export_leaves_its_rows_only_beside_the_target_until_the_next(sqlite_db, tmp_path):
    import os
    import signal
    import subprocess
    import sys

    add_history(sqlite_db, 25)
    folder, system_tmp = tmp_path / "out", tmp_path / "tmp"
    folder.mkdir()
    system_tmp.mkdir()
    target = folder / "h.xlsx"
    process = subprocess.Popen(
        [sys.executable, "-c", KILLED_EXPORT, sqlite_db.url, str(target)],
        stdout=subprocess.PIPE,
        text=True,
        env=os.environ | {"TMPDIR": str(system_tmp)},
    )
    try:
        assert process.stdout.readline() == "writing\n"
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(30)
    [left] = folder.iterdir()
    assert left.name == f".h.xlsx.{process.pid}.partial" and left.stat().st_mode & 0o777 == 0o700
    assert len(list(left.iterdir())) >= 2  # the half file and xlsxwriter's worksheet rows
    assert all(f.stat().st_mode & 0o077 == 0 for f in left.iterdir())
    assert list(system_tmp.iterdir()) == []  # no copy of the rows in the system's temp

    export(sqlite_db, Filters(), "xlsx", target)
    assert list(folder.iterdir()) == [target]
    assert openpyxl.load_workbook(target).active.max_row == 26
