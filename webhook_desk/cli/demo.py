"""`webhook-desk demo`: demo registrations and a synthetic history to explore the app with."""

import sys
import time

from webhook_desk.cli.common import open_db
from webhook_desk.secrets import SecretStore
from webhook_desk.services.demo import load_demo


def _progress(done: int, total: int) -> None:
    if sys.stderr.isatty():
        print(f"\r{done:,} / {total:,} deliveries", end="", file=sys.stderr, flush=True)


def _demo(args) -> int:
    if args.deliveries < 0:
        print("webhook-desk: --deliveries must be zero or more.", file=sys.stderr)
        return 1
    db = open_db(args)
    started = time.perf_counter()
    with db.bulk_session() as session:
        result = load_demo(session, SecretStore(), args.deliveries, _progress)
    elapsed = time.perf_counter() - started
    if sys.stderr.isatty():
        print(file=sys.stderr)
    if result.warning:
        print(f"webhook-desk: {result.warning}", file=sys.stderr)
    print(
        f"Added {result.registrations} registrations, {result.deliveries:,} deliveries and "
        f"{result.attempts:,} attempts in {elapsed:.1f} s."
    )
    return 0
