"""`webhook-desk audit [verify | export]`: who changed which registration, secret or catalog
entry, and why; whether the chain is intact; the trail written out for filing."""

from webhook_desk.cli.common import open_db, print_json, print_rows
from webhook_desk.errors import UserError
from webhook_desk.services import audit


def _audit(args) -> int:
    db = open_db(args)
    with db.session() as session:
        rows = [audit.as_dict(e) for e in audit.entries(session, args.limit)]
    print_rows(rows, ["at", "actor", "action", "entity_type", "entity_id", "reason"], args.json)
    return 0


def _verify(args) -> int:
    db = open_db(args)
    with db.session() as session:
        state = audit.verify(session)
        filed = audit.check_export(session, args.against) if args.against and state.ok else None
    if args.json:
        print_json({**state.as_dict(), "export": filed})
        return 0 if state.ok else 1
    if not state.ok:
        raise UserError(state.problem)
    print(f"Audit trail: {state.entries:,} entries, intact; head {state.head_hash or '(empty)'}.")
    if filed:
        print(filed)
    return 0


def _export(args) -> int:
    db = open_db(args)
    with db.session() as session:
        state = audit.export(session, args.output)
    print(f"Wrote {state.entries:,} audit entries to {args.output} (head {state.head_hash}).")
    return 0
