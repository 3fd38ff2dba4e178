"""The history verbs: `history` (newest first, or --sort by a column), `export` (what a filter
selects, to a file) and `import` (CentrePoint v3 pages or v1 records).

`history` on a SQLite database at head runs the statement a previous run compiled, with
stdlib sqlite3 (history/first_page.py): SQLAlchemy and the rest load only when it must go the
usual way, so the handlers import them where they need them.
"""

from __future__ import annotations

import sys
from dataclasses import asdict
from datetime import datetime

from webhook_desk.cli.common import open_db, print_json, print_table
from webhook_desk.errors import InvalidInput
from webhook_desk.history import filters, first_page
from webhook_desk.settings import resolve_db_url

COLUMNS = [
    "id",
    "event",
    "registration_id",
    "status",
    "response_code",
    "attempts",
    "created_at",
    "last_sent_at",
]


def filters_from(args) -> filters.Filters:
    registration = None
    if args.registration is not None:
        if not str(args.registration).isdigit():
            raise InvalidInput(f"'{args.registration}' is not a registration id.")
        registration = int(args.registration)
    return filters.Filters(
        study=args.study,
        subject=args.subject,
        registration_id=registration,
        event=args.event,
        status=args.status,
        include_codes=args.include_codes,
        exclude_codes=args.exclude_codes,
        since=filters.parse_time(args.since, "--since"),
        until=filters.parse_until(args.until, "--until"),
        text=args.text,
    )


def _history(args) -> int:
    if args.limit < 1:
        raise InvalidInput("--limit must be at least 1.")
    chosen = filters_from(args)
    rows = first_page.cached(resolve_db_url(args.db), chosen, args.limit, args.sort)
    if rows is None:
        from webhook_desk.history.queries import first_dicts

        with open_db(args).session() as session:
            rows = first_dicts(session, chosen, args.limit, args.sort)
    if args.json:
        print_json(rows)
    else:  # people read local time
        print_table([{**r, **_times(r)} for r in rows], COLUMNS)
    return 0


def _times(row: dict) -> dict:
    return {k: row[k] and datetime.fromisoformat(row[k]) for k in ("created_at", "last_sent_at")}


def _export(args) -> int:
    from webhook_desk.history.export import export
    from webhook_desk.history.importer import counted
    from webhook_desk.secrets import SecretStore

    chosen = filters_from(args)
    db = open_db(args)
    show = _progress_line if sys.stderr.isatty() else None
    store = SecretStore() if args.pseudonymise else None
    result = export(
        db, chosen, args.format, args.output, args.attempts, progress=show, pseudonymise=store
    )
    if show:
        sys.stderr.write("\n")
    unit = {"v3": "v3 item", "v1": "v1 record"}.get(args.format)
    unit = unit or ("attempt" if args.attempts else "delivery")
    for note in result.notes:
        print(note, file=sys.stderr)
    pseudonymised = " (pseudonymised)" if args.pseudonymise else ""
    print(f"Exported {counted(result.rows, unit)} to {result.path}{pseudonymised}.")
    return 0


def _progress_line(done: int, total: int) -> None:
    sys.stderr.write(f"\rExporting: {done:,} of {total:,}")
    sys.stderr.flush()


def _import(args) -> int:
    from webhook_desk.history.importer import import_file

    db = open_db(args)
    result = import_file(db, args.file)
    if args.json:
        print_json({**asdict(result), "path": str(result.path)})
        return 0
    print(result.summary())
    return 0
