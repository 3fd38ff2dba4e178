"""`webhook-desk events ...`: browse the event catalog, check payloads, change statuses."""

from __future__ import annotations

import json
import sys

from webhook_desk.cli.common import (
    open_db,
    print_json,
    print_rows,
    print_table,
)
from webhook_desk.errors import InvalidInput, NotFound
from webhook_desk.services import catalog
from webhook_desk.vocabulary import EventStatus

LIST_COLUMNS = ["code", "version", "category", "status", "name"]
CATEGORY_COLUMNS = ["code", "module", "status", "name", "events"]


def _list(args) -> int:
    with open_db(args).session() as session:
        events = [catalog.event_as_dict(e, detail=False) for e in catalog.list_events(session)]
    if args.json:
        print_json(events)
        return 0
    for event in events:
        # An active event in an inactive or archived category is not usable: say so.
        if event["category_status"] != EventStatus.ACTIVE:
            event["status"] += f" (category {event['category_status']})"
    print_table(events, LIST_COLUMNS)
    return 0


def _categories(args) -> int:
    with open_db(args).session() as session:
        rows = [catalog.category_as_dict(c) for c in catalog.list_categories(session)]
    print_rows(rows, CATEGORY_COLUMNS, args.json)
    return 0


def _show(args) -> int:
    with open_db(args).session() as session:
        event = catalog.event_as_dict(catalog.get_event(session, args.code, args.version))
    if args.json:
        print_json(event)
        return 0
    print(f"{event['code']} {event['version']}: {event['name']}")
    print(f"category {event['category']} ({event['module']}), status {event['status']}")
    if event["description"]:
        print(event["description"])
    print("\nschema:")
    print(json.dumps(event["schema"], indent=2, ensure_ascii=False))
    for sample in event["samples"]:
        print(f"\nsample {sample['name']}:")
        print(json.dumps(sample["payload"], indent=2, ensure_ascii=False))
    return 0


def _validate(args) -> int:
    payload = read_json_file(args.payload)
    with open_db(args).session() as session:
        event = catalog.get_event(session, args.code, args.version)
        problems = catalog.validate_payload(event, payload)
        label = f"{event.code} {event.version}"
    if not problems:
        print(f"The payload is a valid {label}.")
        return 0
    print(f"The payload is not a valid {label}:", file=sys.stderr)
    for problem in problems:
        print(f"  {problem}", file=sys.stderr)
    return 1


def read_json_file(source: str):
    try:
        text = sys.stdin.read() if source == "-" else open(source, encoding="utf-8").read()
    except FileNotFoundError:
        raise NotFound(f"There is no payload file {source}.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"Cannot read the payload file {source}: {exc}.") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        where = "standard input" if source == "-" else source
        raise InvalidInput(
            f"The payload in {where} is not JSON ({exc.msg} at line {exc.lineno}, "
            f"column {exc.colno})."
        ) from None


def _set_status(args) -> int:
    target = "category" if args.category else "event"
    if args.category and args.version:
        raise InvalidInput("--version applies to events, not to categories.")
    if args.api_url:  # the ECG module's catalog first
        from webhook_desk.cli.catalog_edits import set_status_on_module

        changes = set_status_on_module(args)
    else:
        with open_db(args).session() as session:
            changes = catalog.set_status(
                session, target, args.code, args.status_action, args.reason, version=args.version
            )
    for change in changes:
        if change.before == change.after:
            print(f"{change.label} is already {change.after}.")
        else:
            print(f"{change.label}: {change.before} -> {change.after}")
    return 0
