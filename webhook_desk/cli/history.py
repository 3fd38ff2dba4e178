"""The history verbs: `history` (newest first), `export` (what a filter selects, to a file)
and `import` (CentrePoint v3 pages or v1 records)."""

from __future__ import annotations

import sys

from webhook_desk.cli.common import add_json_option, add_verb, open_db, print_json, print_table
from webhook_desk.history import queries
from webhook_desk.history.importer import counted

EXPORT_FORMATS = ("csv", "xlsx", "ndjson", "v3", "v1")
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


def register(subparsers) -> None:
    history = add_verb(subparsers, "history", "list deliveries, newest first", _history)
    add_filter_options(history)
    history.add_argument("--limit", type=int, default=100, help="how many (default 100)")
    add_json_option(history)

    export = add_verb(
        subparsers, "export", "write the deliveries a filter selects to a file", _export
    )
    add_filter_options(export)
    export.add_argument("--format", required=True, choices=EXPORT_FORMATS)
    export.add_argument("--output", required=True, metavar="FILE")
    export.add_argument(
        "--attempts", action="store_true", help="csv/xlsx/ndjson: one row per attempt"
    )

    imports = add_verb(
        subparsers, "import", "add CentrePoint v3 history pages or v1 records", _import
    )
    imports.add_argument("file", metavar="FILE")
    add_json_option(imports)


def add_filter_options(parser) -> None:
    """The History tab's filters, shared by `history`, `resend --all-matching` and exports."""
    parser.add_argument("--study")
    parser.add_argument("--subject", help="subjectId / subject_id in the payload")
    parser.add_argument("--registration", metavar="ID")
    parser.add_argument("--event")
    parser.add_argument("--status", choices=queries.STATUSES)
    parser.add_argument("--include-codes", metavar="CODES", help="e.g. 2xx,404")
    parser.add_argument("--exclude-codes", metavar="CODES")
    parser.add_argument("--since", metavar="T", help="ISO 8601; without offset: local time")
    parser.add_argument("--until", metavar="T", help="a date alone: to the end of that day")
    parser.add_argument("--text", metavar="WORDS", help="words within the payload")


def filters_from(args) -> queries.Filters:
    from webhook_desk.errors import InvalidInput

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
    from webhook_desk.errors import InvalidInput

    if args.limit < 1:
        raise InvalidInput("--limit must be at least 1.")
    filters = filters_from(args)
    db = open_db(args)
    with db.session() as session:
        page = queries.list_deliveries(session, filters, args.limit)
        rows = [queries.as_dict(d) for d in page.rows]
        times = [{"created_at": d.created_at, "last_sent_at": d.last_sent_at} for d in page.rows]
    if args.json:
        print_json(rows)
    else:  # people read local time
        print_table([{**r, **t} for r, t in zip(rows, times, strict=True)], COLUMNS)
    return 0


def _export(args) -> int:
    from webhook_desk.history.export import export

    filters = filters_from(args)
    db = open_db(args)
    show = _progress_line if sys.stderr.isatty() else None
    result = export(db, filters, args.format, args.output, args.attempts, progress=show)
    if show:
        sys.stderr.write("\n")
    unit = {"v3": "v3 item", "v1": "v1 record"}.get(args.format)
    unit = unit or ("attempt" if args.attempts else "delivery")
    for note in result.notes:
        print(note, file=sys.stderr)
    print(f"Exported {counted(result.rows, unit)} to {result.path}.")
    return 0


def _progress_line(done: int, total: int) -> None:
    sys.stderr.write(f"\rExporting: {done:,} of {total:,}")
    sys.stderr.flush()


def _import(args) -> int:
    from dataclasses import asdict

    from webhook_desk.history.importer import import_file

    db = open_db(args)
    result = import_file(db, args.file)
    if args.json:
        print_json({**asdict(result), "path": str(result.path)})
        return 0
    print(result.summary())
    return 0
