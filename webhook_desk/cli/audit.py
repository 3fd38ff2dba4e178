"""`webhook-desk audit`: who changed which registration, secret or catalog entry, and why."""

from webhook_desk.cli.common import open_db, print_rows
from webhook_desk.services import audit


def _audit(args) -> int:
    db = open_db(args)
    with db.session() as session:
        rows = [audit.as_dict(e) for e in audit.entries(session, args.limit)]
    print_rows(rows, ["at", "actor", "action", "entity_type", "entity_id", "reason"], args.json)
    return 0
