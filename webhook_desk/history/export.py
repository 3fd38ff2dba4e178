"""Export whatever a History filter selects: CSV, XLSX, NDJSON, CentrePoint v3 or v1 JSON.

Rows stream from one ordered query (newest first) straight into the file, so a million
deliveries take constant memory. `progress(done, total)` is called every few thousand rows
and `cancelled()` is polled as often; both are plain callables, so a QThread can pass a
signal's emit and a flag. The file is written in a private folder beside its destination
(history/export_workspace.py) and moved into place only when complete.

CSV and XLSX hold one row per delivery (or per attempt with `attempts=True`) without bodies
or headers; NDJSON, v3 and v1 carry bodies and headers, secret-bearing ones redacted.

Pseudonymised (services/pseudonyms.py), the subject id column becomes `subject_pseudonym`
and identifying fields inside bodies carry pseudonyms; the file says so (the XLSX on a sheet
of its own, v3 in its envelope, v1 in each record).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Column,
    ColumnElement,
    MetaData,
    String,
    Table,
    Text,
    case,
    cast,
    func,
    insert,
    literal,
    select,
    type_coerce,
)
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Session, selectinload

from webhook_desk import redaction
from webhook_desk.db.models import Attempt, Delivery
from webhook_desk.errors import InvalidInput, UserError
from webhook_desk.history import centrepoint_format as cp
from webhook_desk.history import queries
from webhook_desk.history.export_workspace import Workspace
from webhook_desk.history.queries import Filters
from webhook_desk.secrets import SecretStore
from webhook_desk.services import pseudonyms
from webhook_desk.services.pseudonyms import Pseudonymiser
from webhook_desk.spreadsheet import FORMULA_CLASS

FORMATS = ("csv", "xlsx", "ndjson", "v3", "v1")
CHUNK = 5000
ROWS_PER_SHEET = 1_048_576  # Excel's limit, the header row included
TIME_COLUMNS = ("created_at", "last_sent_at", "started_at")  # ISO text: nothing to quote
OUTSIDE_TEXT = ("error", "study_id", "subject_id")
PAGE = 1000  # deliveries per page for the v3/v1 shapes, which need the ORM's attempts
PSEUDONYM_COLUMN = "subject_pseudonym"


@dataclass
class ExportResult:
    path: Path
    rows: int = 0
    cancelled: bool = False
    notes: list[str] = field(default_factory=list)


Progress = Callable[[int, int], None]
Cancelled = Callable[[], bool]


def export(
    db,
    filters: Filters,
    fmt: str,
    path: str | os.PathLike,
    attempts: bool = False,
    progress: Progress | None = None,
    cancelled: Cancelled | None = None,
    pseudonymise: SecretStore | None = None,
) -> ExportResult:
    """Write the deliveries matching `filters` to `path` in `fmt` (one of FORMATS);
    with `pseudonymise`, identifying values become pseudonyms salted from that keyring."""
    if fmt not in FORMATS:
        raise InvalidInput(f"'{fmt}' is not an export format; use one of {', '.join(FORMATS)}.")
    target = Path(path)
    result = ExportResult(target)
    try:
        with Workspace(target) as workspace:  # before any work: an unwritable path fails
            with db.session() as session:
                total = _total(session, filters, attempts and fmt in ("csv", "xlsx", "ndjson"))
                tracker = _Tracker(total, progress, cancelled)
                pz = pseudonyms.for_export(session, pseudonymise) if pseudonymise else None
                WRITERS[fmt](session, filters, workspace.file, attempts, tracker, result, pz)
                if pz is not None:
                    drop_pseudonym_table(session)
            result.cancelled = tracker.stopped
            if not result.cancelled:
                os.replace(workspace.file, target)
    except OSError as exc:  # a full disk, an I/O error: the database is fine, the file is not
        raise UserError(f"Cannot write {target}: {exc.strerror or exc}.") from None
    return result


def _total(session: Session, filters: Filters, per_attempt: bool) -> int:
    if not per_attempt:
        return queries.count(session, filters)
    query = select(func.count()).select_from(Attempt).join(Delivery)
    return session.scalar(query.where(*filters.conditions(session))) or 0


class _Tracker:
    """Counts rows, reports progress every CHUNK rows and answers whether to stop."""

    def __init__(self, total: int, progress: Progress | None, cancelled: Cancelled | None):
        self.total, self.done, self.stopped = total, 0, False
        self._progress, self._cancelled = progress, cancelled

    def advance(self, rows: int) -> bool:
        """Add `rows`; False when the user cancelled and writing should stop."""
        self.done += rows
        if self._progress:
            self._progress(self.done, self.total)
        if self._cancelled and self._cancelled():
            self.stopped = True
        return not self.stopped


# ---- the tabular shapes: one streamed query ----------------------------------------------


def _iso(session: Session, column):
    """A timestamp as ISO 8601 UTC text, made by the database: no datetime per cell."""
    # func.replace/to_char keep no type of their own; String keeps UTCDateTime's parsing off.
    if session.get_bind().dialect.name == "sqlite":
        text = func.replace(column, " ", "T").concat("Z")
    else:
        text = func.to_char(column, 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
    return type_coerce(text, String)


def delivery_columns(session: Session) -> dict:
    return {
        "id": Delivery.id,
        "delivery_id": Delivery.uuid,
        "created_at": _iso(session, Delivery.created_at),
        "last_sent_at": _iso(session, Delivery.last_sent_at),
        "registration_id": Delivery.registration_id,
        "event": Delivery.event_code,
        "event_version": Delivery.event_version,
        "status": Delivery.status,
        "response_code": Delivery.response_code,
        "attempts": Delivery.attempt_count,
        "duration_ms": Delivery.duration_ms,
        "study_id": Delivery.study_id,
        "subject_id": Delivery.subject_id,
        "target_url": Delivery.target_url,
        "error": Delivery.error,
        "source": Delivery.source,
    }


def attempt_columns(session: Session) -> dict:
    return {
        "delivery_id": Delivery.uuid,
        "attempt": Attempt.number,
        "started_at": _iso(session, Attempt.started_at),
        "event": Delivery.event_code,
        "registration_id": Delivery.registration_id,
        "study_id": Delivery.study_id,
        "subject_id": Delivery.subject_id,
        "url": Attempt.url,
        "response_code": Attempt.response_code,
        "duration_ms": Attempt.duration_ms,
        "error": Attempt.error,
        "delivery_status": Delivery.status,
    }


def tabular_query(session: Session, filters: Filters, columns: dict, attempts: bool):
    """The one SELECT behind CSV, XLSX and NDJSON (the benchmark runs it bare too)."""
    query = select(*columns.values()).select_from(Delivery).where(*filters.conditions(session))
    order: list[Any] = [Delivery.created_at.desc(), Delivery.id.desc()]
    if attempts:
        query = query.join(Attempt, Attempt.delivery_id == Delivery.id)
        order.append(Attempt.number)
    return query.order_by(*order)


def stream_rows(session: Session, filters: Filters, columns: dict, attempts: bool):
    """Chunks of rows of `columns`, newest delivery first, from a streaming cursor."""
    query = tabular_query(session, filters, columns, attempts)
    result = session.execute(query.execution_options(stream_results=True, yield_per=CHUNK))
    yield from result.partitions(CHUNK)


def _columns(session: Session, attempts: bool) -> dict:
    return attempt_columns(session) if attempts else delivery_columns(session)


def _tabular_columns(session: Session, filters: Filters, attempts: bool, pz) -> dict:
    """CSV's and XLSX's columns; pseudonymised, the subject id column is replaced by its
    pseudonym, looked up in SQL so the lines are still built by the database."""
    columns = _columns(session, attempts)
    if pz is None:
        return columns
    table = _pseudonym_table(session, filters, pz)
    pseudonym = (
        select(table.c.pseudonym)
        .where(
            table.c.study_id == func.coalesce(Delivery.study_id, ""),
            table.c.subject_id == Delivery.subject_id,
        )
        .scalar_subquery()
    )
    return {
        (PSEUDONYM_COLUMN if name == "subject_id" else name): (
            pseudonym if name == "subject_id" else column
        )
        for name, column in columns.items()
    }


def _pseudonym_table(session: Session, filters: Filters, pz: Pseudonymiser) -> Table:
    """A temporary table (study, subject) -> pseudonym for the subjects `filters` selects:
    a few thousand HMACs in Python instead of one per row."""
    table = Table(
        "export_pseudonym",
        MetaData(),
        Column("study_id", String(100), primary_key=True),
        Column("subject_id", String(100), primary_key=True),
        Column("pseudonym", String(40)),
        prefixes=["TEMPORARY"],
    )
    drop_pseudonym_table(session)  # one left by an export that failed midway
    table.create(session.connection())
    pairs = select(Delivery.study_id, Delivery.subject_id).distinct()
    pairs = pairs.where(*filters.conditions(session), Delivery.subject_id.is_not(None))
    rows = [
        {"study_id": study or "", "subject_id": subject, "pseudonym": pz.subject(study, subject)}
        for study, subject in session.execute(pairs)
    ]
    if rows:
        session.execute(insert(table), rows)
    return table


def drop_pseudonym_table(session: Session) -> None:
    session.execute(sql_text("DROP TABLE IF EXISTS export_pseudonym"))


def _write_csv(session, filters, partial, attempts, tracker, result, pz) -> None:
    columns = _tabular_columns(session, filters, attempts, pz)
    query = tabular_query(session, filters, {"line": csv_line(session, columns)}, attempts)
    with open(partial, "w", encoding="utf-8") as out:
        out.write(",".join(columns) + "\n")
        for chunk in _driver_chunks(session, query):
            out.write("\n".join(chunk))
            out.write("\n")
            result.rows += len(chunk)
            if not tracker.advance(len(chunk)):
                return


def _driver_chunks(session: Session, query) -> Iterator[list[str]]:
    """The lines of a one-column query straight from the driver's cursor: for a million
    rows the ORM's per-row bookkeeping cost more than building the lines."""
    connection = session.connection()
    compiled = query.compile(connection, compile_kwargs={"render_postcompile": True})
    driver = connection.connection.driver_connection
    assert driver is not None  # a live session's connection
    # PostgreSQL: a server-side (named) cursor, or the driver would hold every row at once.
    cursor = driver.cursor() if connection.dialect.name == "sqlite" else driver.cursor("export")
    try:
        params = compiled.positiontup and [compiled.params[k] for k in compiled.positiontup]
        cursor.execute(str(compiled), params or compiled.params)
        while chunk := cursor.fetchmany(CHUNK):
            yield [row[0] for row in chunk]
    finally:
        cursor.close()


def csv_line(session: Session, columns: dict):
    """One CSV line per row, built by the database: far cheaper than a Python csv loop.

    Text is always quoted (RFC 4180 allows it), so commas, quotes and line breaks inside
    need no test. Text that came from outside (an error a server sent, ids from a payload)
    and that a spreadsheet would run as a formula (= + - @) gets a leading '.
    SQLite builds the line with one printf (its %w doubles quotes); that measured as fast as
    the sqlite3 shell's own CSV mode. PostgreSQL concatenates.
    """
    if session.get_bind().dialect.name == "sqlite":
        pieces, args = [], []
        for name, column in columns.items():
            piece, its_args = _printf_cell(name, column)
            pieces.append(piece)
            args.extend(its_args)
        return type_coerce(func.printf(",".join(pieces), *args), String)
    line = None
    for name, column in columns.items():
        cell = _concat_cell(name, column)
        line = cell if line is None else line + literal(",", String) + cell
    return line


def _printf_cell(name: str, column) -> tuple[str, list]:
    if name in TIME_COLUMNS or not isinstance(column.type, String):
        return "%s", [column]  # printf writes NULL as nothing
    text = func.coalesce(column, literal("", String))
    if name in OUTSIDE_TEXT:
        return '"%s%w"', [case((column.op("GLOB")(FORMULA_CLASS + "*"), "'"), else_=""), text]
    return '"%w"', [text]


def _concat_cell(name: str, column):
    empty = literal("", String)
    if name in TIME_COLUMNS:
        return func.coalesce(column, empty)
    if not isinstance(column.type, String):
        return func.coalesce(cast(column, String), empty)
    text: ColumnElement[Any] = func.replace(func.coalesce(column, empty), '"', '""')
    if name in OUTSIDE_TEXT:
        text = (
            type_coerce(case((column.op("~")("^" + FORMULA_CLASS), "'"), else_=""), String) + text
        )
    quote = literal('"', String)
    text = quote + text + quote
    return text


def _write_xlsx(session, filters, partial, attempts, tracker, result, pz) -> None:
    import xlsxwriter  # only exports to Excel need it

    columns = _tabular_columns(session, filters, attempts, pz)
    title = "Attempts" if attempts else "Deliveries"
    options = {
        "constant_memory": True,
        "strings_to_urls": False,
        "strings_to_formulas": False,
        "default_date_format": "yyyy-mm-dd hh:mm:ss",  # times are Excel dates, in UTC
        # Its worksheets spill to temporary files: in our own folder, never in the system's.
        "tmpdir": str(partial.parent),
    }
    workbook = xlsxwriter.Workbook(str(partial), options)
    times = [i for i, name in enumerate(columns) if name in TIME_COLUMNS]
    sheet, row = None, ROWS_PER_SHEET
    try:
        for chunk in stream_rows(session, filters, columns, attempts):
            for values in chunk:
                if row >= ROWS_PER_SHEET:
                    sheet = _new_sheet(workbook, title, list(columns), result)
                    row = 1
                assert sheet is not None  # made for the first row
                sheet.write_row(row, 0, _with_excel_times(values, times))
                row += 1
            result.rows += len(chunk)
            if not tracker.advance(len(chunk)):
                return
        if sheet is None:
            _new_sheet(workbook, title, list(columns), result)
        if pz is not None:
            workbook.add_worksheet("Pseudonymised").write(0, 0, pz.note)
    finally:
        _close_workbook(workbook)


def _with_excel_times(values, times: list[int]) -> list:
    """The row with its ISO 8601 UTC times as naive datetimes (Excel has no time zones)."""
    found = list(values)
    for i in times:
        if found[i] is not None:
            found[i] = datetime.fromisoformat(found[i]).replace(tzinfo=None)
    return found


def _close_workbook(workbook) -> None:
    """Close, handing on the OSError that xlsxwriter wraps (a full disk is worded as such)."""
    from xlsxwriter.exceptions import FileCreateError

    try:
        workbook.close()
    except FileCreateError as exc:
        raise exc.args[0] if exc.args and isinstance(exc.args[0], OSError) else exc from None


def _new_sheet(workbook, title: str, header: list[str], result: ExportResult):
    number = len(workbook.worksheets()) + 1
    name = title if number == 1 else f"{title} ({number})"
    if number > 1:
        result.notes.append(
            f"Excel holds {ROWS_PER_SHEET:,} rows a sheet, so rows continue on sheet '{name}'."
        )
    sheet = workbook.add_worksheet(name)
    sheet.write_row(0, 0, header)
    return sheet


# ---- NDJSON: the tabular query plus bodies -----------------------------------------------


def _ndjson_columns(session: Session, attempts: bool) -> dict:
    if not attempts:
        return {**delivery_columns(session), "payload": Delivery.payload}
    return {
        **attempt_columns(session),
        "request_headers": type_coerce(Attempt.request_headers, Text),
        "request_body": func.coalesce(Attempt.request_body, Delivery.payload),
        "response_headers": type_coerce(Attempt.response_headers, Text),
        "response_body": Attempt.response_body,
    }


def _write_ndjson(session, filters, partial, attempts, tracker, result, pz) -> None:
    columns = _ndjson_columns(session, attempts)
    names = list(columns)
    redactor = redaction.redactor(session)
    with open(partial, "w", encoding="utf-8") as out:
        for chunk in stream_rows(session, filters, columns, attempts):
            out.writelines(_ndjson_line(names, row, redactor, pz) for row in chunk)
            result.rows += len(chunk)
            if not tracker.advance(len(chunk)):
                return


def _ndjson_line(names: list[str], row, redactor: redaction.Redactor, pz) -> str:
    record = dict(zip(names, row, strict=True))
    for key in ("request_headers", "response_headers"):
        if key in record:
            record[key] = _headers(record[key], redactor)
    if pz is not None:
        record = _pseudonymised_record(record, pz)
    return json.dumps(record, ensure_ascii=False) + "\n"


def _pseudonymised_record(record: dict, pz: Pseudonymiser) -> dict:
    """An NDJSON record with `subject_pseudonym` where `subject_id` was, and its bodies'
    identifying values pseudonymised."""
    study, subject = record["study_id"], record["subject_id"]
    changed = {}
    for key, value in record.items():
        if key == "subject_id":
            changed[PSEUDONYM_COLUMN] = pz.subject(study, subject)
        elif key in ("payload", "request_body", "response_body"):
            changed[key] = pz.body(study, value, subject)
        else:
            changed[key] = value
    return changed


def _headers(value, redactor: redaction.Redactor) -> dict | None:
    """Stored headers (JSON text on SQLite, already decoded by psycopg), redacted again.
    No response leaves SQL NULL or the JSON text `null`, depending on the database."""
    decoded = json.loads(value) if isinstance(value, str) else value
    return redactor.headers(decoded) if decoded else None


# ---- CentrePoint v3 / v1: one item or record per attempt ---------------------------------


def _deliveries(session: Session, filters: Filters, tracker: _Tracker) -> Iterator[Delivery]:
    """Deliveries with their attempts, a page at a time by key; the session is emptied
    after each page so memory stays flat."""
    key = None
    while True:
        page = queries.list_deliveries(
            session, filters, PAGE, key, options=[selectinload(Delivery.attempts)]
        )
        yield from page.rows
        session.expunge_all()
        if not tracker.advance(len(page.rows)) or page.next_key is None:
            return
        key = page.next_key


def _write_v3(session, filters, partial, attempts, tracker, result, pz) -> None:
    redactor = redaction.redactor(session)
    with open(partial, "w", encoding="utf-8") as out:
        out.write("{\n")
        if pz is not None:  # the envelope says so; readers of the platform's shape skip it
            out.write(f'"pseudonymised": {json.dumps(pz.note)},\n')
        out.write('"items": [')
        first = True
        for delivery in _deliveries(session, filters, tracker):
            for item in cp.to_v3_items(delivery, redactor):
                if pz is not None:
                    _pseudonymise_bodies(item, ("request", "response"), "body", delivery, pz)
                out.write(("\n" if first else ",\n") + json.dumps(item, ensure_ascii=False))
                first = False
                result.rows += 1
        out.write("\n],\n")
        # The whole selection is one page: offset 0, limit and totalCount all of it.
        tail = {"links": {}, "totalCount": result.rows, "limit": result.rows, "offset": 0}
        out.write(json.dumps(tail)[1:-1] + "\n}\n")


def _write_v1(session, filters, partial, attempts, tracker, result, pz) -> None:
    redactor = redaction.redactor(session)
    with open(partial, "w", encoding="utf-8") as out:
        out.write("[")
        first = True
        for delivery in _deliveries(session, filters, tracker):
            for record in cp.to_v1_records(delivery, redactor):
                if pz is not None:  # a bare array has no header: each record says so
                    _pseudonymise_bodies(record, ("Request", "Response"), "Body", delivery, pz)
                    record["Pseudonymised"] = True
                out.write(("\n" if first else ",\n") + json.dumps(record, ensure_ascii=False))
                first = False
                result.rows += 1
        out.write("\n]\n")


def _pseudonymise_bodies(
    item: dict, parts: tuple[str, str], body: str, delivery: Delivery, pz
) -> None:
    """The request and response bodies of a v3 item or v1 record, pseudonymised in place."""
    for part in parts:
        if part in item:
            found = item[part]
            found[body] = pz.body(delivery.study_id, found[body], delivery.subject_id)


WRITERS = {
    "csv": _write_csv,
    "xlsx": _write_xlsx,
    "ndjson": _write_ndjson,
    "v3": _write_v3,
    "v1": _write_v1,
}
