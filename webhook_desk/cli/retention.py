"""`webhook-desk retention show | set | purge`: how long history is kept, and applying it."""

from __future__ import annotations

import sys

from webhook_desk.cli.common import open_db, print_json, print_rows
from webhook_desk.services import retention


def _show(args) -> int:
    db = open_db(args)
    with db.session() as session:
        rows = [policy.as_dict() for policy in retention.policies(session)]
    print_rows(rows, ["study", "payload_days", "metadata_days"], args.json)
    return 0


def _set(args) -> int:
    db = open_db(args)
    with db.session() as session:
        policy = retention.set_policy(
            session, args.study, args.payload_days, args.metadata_days, args.reason
        )
    print(f"Retention for {policy.describe()}.")
    return 0


def _purge(args) -> int:
    db = open_db(args)
    progress = _progress if sys.stderr.isatty() else None
    result = retention.purge(db, dry_run=args.dry_run, progress=progress, reason=args.reason)
    if progress:
        print(file=sys.stderr)
    if args.json:
        print_json(result.as_dict())
        return 0
    verb = "Would remove" if args.dry_run else "Removed"
    print(
        f"{verb} {result.payloads:,} payloads (kept as tombstones), {result.records:,} "
        f"delivery records and {result.captures:,} receiver captures."
    )
    return 0


def _progress(done: int, total: int) -> None:
    print(f"\r{done:,} of {total:,} deliveries", end="", file=sys.stderr, flush=True)
