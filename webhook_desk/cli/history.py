"""The history verbs: `history` (newest first, or --sort by a column), `export` (what a filter
selects, to a file) and `import` (CentrePoint v3 pages or v1 records)."""

from __future__ import annotations

import sys
from dataclasses import asdict

from webhook_desk.cli.common import open_db, print_json, print_table
from webhook_desk.errors import InvalidInput
from webhook_desk.history import queries
from webhook_desk.history.export import export
from webhook_desk.history.importer import counted, import_file
from webhook_desk.history.sort_order import NEWEST_FIRST, parse_sort
from webhook_desk.secrets import SecretStore

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


def filters_from(args) -> queries.Filters:
    registration = None
    if args.registration is not None:
        if not str(args.registration).isdigit():
            raise InvalidInput(f"'{args.registration}' is not a registration id.")
        registration = int(args.registration)
    return queries.Filters(
        study=args.study,
        subject=args.subject,
        registration_id=registration,
        event=args.event,
        status=args.status,
        include_codes=args.include_codes,
        exclude_codes=args.exclude_codes,
        since=queries.parse_time(args.since, "--since"),
        until=queries.parse_until(args.until, "--until"),
        text=args.text,
    )


def _history(args) -> int:
    if args.limit < 1:
        raise InvalidInput("--limit must be at least 1.")
    filters = filters_from(args)
    sort = parse_sort(args.sort) if args.sort else NEWEST_FIRST
    db = open_db(args)
    with db.session() as session:
        page = queries.list_deliveries(session, filters, args.limit, sort=sort)
        rows = [queries.as_dict(d) for d in page.rows]
        times = [{"created_at": d.created_at, "last_sent_at": d.last_sent_at} for d in page.rows]
    if args.json:
        print_json(rows)
    else:  # people read local time
        print_table([{**r, **t} for r, t in zip(rows, times, strict=True)], COLUMNS)
    return 0


def _export(args) -> int:
    filters = filters_from(args)
    db = open_db(args)
    show = _progress_line if sys.stderr.isatty() else None
    store = SecretStore() if args.pseudonymise else None
    result = export(
        db, filters, args.format, args.output, args.attempts, progress=show, pseudonymise=store
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
    db = open_db(args)
    result = import_file(db, args.file)
    if args.json:
        print_json({**asdict(result), "path": str(result.path)})
        return 0
    print(result.summary())
    return 0
