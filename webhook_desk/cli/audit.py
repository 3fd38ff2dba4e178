"""`webhook-desk audit`: who changed which registration, secret or catalog entry, and why."""

from webhook_desk.cli.common import add_json_option, add_verb, open_db, print_rows
from webhook_desk.services import audit


def register(subparsers) -> None:
    parser = add_verb(subparsers, "audit", "list the audit trail, newest first", _audit)
    parser.add_argument("--limit", type=int, default=None, help="at most this many entries")
    add_json_option(parser)


def _audit(args) -> int:
    db = open_db(args)
    with db.session() as session:
        rows = [audit.as_dict(e) for e in audit.entries(session, args.limit)]
    print_rows(rows, ["at", "actor", "action", "entity_type", "entity_id", "reason"], args.json)
    return 0
