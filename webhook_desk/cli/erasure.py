"""`webhook-desk erase-subject`: a participant's data erased on request, with a certificate."""

from __future__ import annotations

from dataclasses import asdict

from webhook_desk.cli.common import open_db, print_json
from webhook_desk.secrets import SecretStore
from webhook_desk.services import erasure


def _erase(args) -> int:
    db = open_db(args)
    result = erasure.erase_subject(
        db, SecretStore(), args.study, args.subject, args.reason, dry_run=args.dry_run
    )
    if args.certificate and not args.dry_run and result.found:
        erasure.write_certificate(result, args.subject, args.certificate)
    if args.json:
        print_json({**asdict(result), "dry_run": args.dry_run})
        return 0
    what = (
        f"{result.deliveries:,} deliveries ({result.attempts:,} attempts) and "
        f"{result.captures:,} receiver captures"
    )
    if not result.found:
        print(f"Nothing about that participant in study {result.study}.")
    elif args.dry_run:
        print(f"Would erase {what} about that participant in study {result.study}.")
    else:
        print(f"Erased {what}; audit entry {result.audit_entry}.")
        if args.certificate:
            print(f"Certificate: {args.certificate}")
    return 0
