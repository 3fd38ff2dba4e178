"""`webhook-desk serve`: the platform's APIs over this desk's database, with JWT bearer auth;
`webhook-desk serve token` prints a token for it."""

from __future__ import annotations

import sys

from webhook_desk.cli.common import add_verb, open_db
from webhook_desk.secrets import SecretStore

SERVE_DEFAULT_PORT = 8790


def register(subparsers) -> None:
    serve = add_verb(
        subparsers,
        "serve",
        "serve every route of the ECG module and CentrePoint v3/v1 over this database",
        _serve,
    )
    add_switch_options(serve)
    actions = serve.add_subparsers(dest="serve_action", metavar="ACTION")
    token = add_verb(actions, "token", "print a bearer token for serve", _token)
    token.add_argument("--expires", default="8h", help="how long it is valid (default 8h)")
    token.add_argument("--subject", help="who it stands for in the audit (default: user@host)")


def add_switch_options(parser) -> None:
    """Where to listen and how slow or flaky to be: serve's and mock-api's options."""
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=SERVE_DEFAULT_PORT)
    parser.add_argument("--latency-ms", type=int, default=0, help="delay every answer")
    parser.add_argument("--failure-rate", type=float, default=0.0, help="share answered 503")
    parser.add_argument("--rate-limit", help="requests per second, e.g. 20/s; more get 429")


def switches(args, token: str = ""):
    """The switches the options asked for, checked."""
    from webhook_desk.platform.mock_api import MockOptions, parse_rate

    return MockOptions(
        token=token,
        latency_ms=args.latency_ms,
        failure_rate=args.failure_rate,
        rate_limit=parse_rate(args.rate_limit) if args.rate_limit else 0.0,
    )


def _token(args) -> int:
    from webhook_desk.api import tokens

    lifetime = tokens.expiry(args.expires)
    key = tokens.signing_key(SecretStore())
    print(tokens.issue(key, args.subject or tokens.default_subject(), lifetime))
    return 0


def _serve(args) -> int:
    from webhook_desk.api import tokens
    from webhook_desk.api.server import ApiServer
    from webhook_desk.cli.receive import _wait_for_stop_signal
    from webhook_desk.receiver.server import binding_warning

    key = tokens.signing_key(SecretStore())
    options = switches(args, key)
    options.check()
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
