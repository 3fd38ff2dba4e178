"""`webhook-desk check-endpoint`: does a receiving endpoint behave as the platform needs?"""

from __future__ import annotations

import sys

from webhook_desk.cli.common import open_db, print_json
from webhook_desk.engine.sender import Timeouts
from webhook_desk.errors import InvalidInput
from webhook_desk.secrets import SecretStore
from webhook_desk.services import audit, check_report, endpoint_check

MARKS = {"pass": "PASS", "fail": "FAIL", "not applicable": "n/a ", "information": "info"}


def _check(args) -> int:
    if args.verify_report:
        print(check_report.verify(args.verify_report))
        return 0
    if bool(args.registration) == bool(args.url):
        raise InvalidInput("Check a registration (REG_ID) or a URL (--url URL), not both.")
    db = open_db(args)
    if args.registration:
        target = endpoint_check.target_of_registration(db, SecretStore(), args.registration)
    else:
        secret = sys.stdin.readline().strip() if args.secret_stdin else None
        target = endpoint_check.target_of_url(args.url, args.auth, secret)
    confirmed = _confirm(target.url, args.yes)
    show = None if args.json else _show
    timeouts = Timeouts(connect=min(5.0, args.timeout), total=args.timeout)
    run = endpoint_check.run(db, target, confirmed, progress=show, timeouts=timeouts)
    document = run.as_dict()
    if args.report:
        path, digest = check_report.write(document, args.report)
        document["report"] = {"path": str(path), "sha256": digest}
    if args.json:
        print_json(document)
    else:
        print(f"Overall: {run.verdict.upper()} (run {run.run_id})")
        if args.report:
            print(f"Report: {args.report} (content SHA-256 {document['report']['sha256']})")
    return 0 if run.verdict == endpoint_check.PASS else 1


def _confirm(url: str, yes: bool) -> str:
    """Nothing is sent by surprise: the user confirms the target (recorded in the report)."""
    who = audit.os_user()
    if yes:
        return f"{who} (--yes)"
    if not sys.stdin.isatty():
        raise InvalidInput(
            f"Confirm sending test requests to {url} with --yes (no terminal to ask)."
        )
    answer = input(f"Send about 45 test requests to {url}? [y/N] ")
    if answer.strip().lower() not in ("y", "yes"):
        raise InvalidInput("Nothing was sent: the target was not confirmed.")
    return f"{who} (at the prompt)"


def _show(result: endpoint_check.CheckResult) -> None:
    print(f"[{MARKS[result.verdict]}] {result.number}. {result.title}: {result.detail}", flush=True)
