"""`webhook-desk health`: is the database reachable and current, does the keyring work."""

from webhook_desk.cli.common import print_json
from webhook_desk.services import health
from webhook_desk.settings import resolve_db_url


def _health(args) -> int:
    report = health.check(resolve_db_url(getattr(args, "db", None)))
    if args.json:
        print_json(report)
    else:
        db, kr = report["database"], report["keyring"]
        if db["ok"]:
            print(f"database  ok   {db['url']} (schema {db['revision']})")
        else:
            print(f"database  FAIL {db['url']}: {db.get('error', 'schema not current')}")
        print(
            f"keyring   {'ok  ' if kr['ok'] else 'FAIL'} {kr['backend']}"
            + ("" if kr["ok"] else f": {kr['error']}")
        )
        for warning in report["warnings"]:
            print(f"warning   {warning}")
    return 0 if report["ok"] else 1
