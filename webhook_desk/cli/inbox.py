"""`webhook-desk inbox`: what the built-in receiver captured, with signature verdicts."""

from webhook_desk.cli.common import open_db, print_rows
from webhook_desk.errors import InvalidInput
from webhook_desk.receiver import inbox

INBOX_COLUMNS = [
    "received_at",
    "method",
    "path",
    "status_code",
    "event",
    "delivery_id",
    "signature",
    "secret_version",
    "duplicate",
    "client_cert_subject",
]


def _inbox(args) -> int:
    if args.limit < 1:
        raise InvalidInput("--limit must be at least 1.")
    db = open_db(args)
    with db.session() as session:
        rows = inbox.recent(session, args.limit)
    print_rows(rows, INBOX_COLUMNS, args.json)
    return 0
