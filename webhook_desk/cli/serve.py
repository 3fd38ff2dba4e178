"""`webhook-desk serve`: the platform's APIs over this desk's database, with JWT bearer auth;
`webhook-desk serve token` prints a token for it."""

from __future__ import annotations

import sys

from webhook_desk.api import tokens
from webhook_desk.api.server import ApiServer
from webhook_desk.cli.common import open_db
from webhook_desk.cli.receive import _wait_for_stop_signal
from webhook_desk.local_http import check_port
from webhook_desk.platform.mock_api import MockOptions, parse_rate
from webhook_desk.receiver.server import binding_warning
from webhook_desk.secrets import SecretStore


def switches(args, token: str) -> MockOptions:
    """The switches serve's and mock-api's options asked for, checked."""
    options = MockOptions(
        token=token,
        latency_ms=args.latency_ms,
        failure_rate=args.failure_rate,
        rate_limit=parse_rate(args.rate_limit) if args.rate_limit else 0.0,
    )
    options.check()
    check_port(args.port)  # before a demo platform is built or a key is made
    return options


def _token(args) -> int:
    lifetime = tokens.expiry(args.expires)
    key = tokens.signing_key(SecretStore())
    print(tokens.issue(key, args.subject or tokens.default_subject(), lifetime))
    return 0


def _serve(args) -> int:
    key = tokens.signing_key(SecretStore())
    options = switches(args, key)
    db = open_db(args)
    try:
        api = ApiServer(db, key, options)
        warning = binding_warning(args.host)
        if warning:
            print(f"webhook-desk: warning: {warning.replace('receiver', 'API')}", file=sys.stderr)
        api.start(args.host, args.port)
        print(
            f"Serving the platform API at {api.url}; `webhook-desk serve token` prints a "
            "bearer token. Ctrl-C stops.",
            flush=True,
        )
        _wait_for_stop_signal()
        api.stop()
    finally:
        db.dispose()
    return 0
