"""`webhook-desk receive` runs the built-in receiver headless; `webhook-desk inbox` lists
what it captured, with signature verdicts."""

from __future__ import annotations

import getpass
import signal
import sys
import threading

from webhook_desk.cli.common import add_json_option, add_verb, open_db, print_rows
from webhook_desk.errors import InvalidInput
from webhook_desk.receiver import MODES, Capture, Receiver, ReceiverOptions, binding_warning, inbox
from webhook_desk.receiver.verdicts import secrets_from_text
from webhook_desk.settings import RECEIVER_DEFAULT_HOST, RECEIVER_DEFAULT_PORT

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
]


def register(subparsers) -> None:
    receive = add_verb(subparsers, "receive", "run the built-in test receiver", _receive)
    receive.add_argument("--host", default=RECEIVER_DEFAULT_HOST, help="default 127.0.0.1")
    receive.add_argument("--port", type=int, default=RECEIVER_DEFAULT_PORT, help="default 8787")
    receive.add_argument("--mode", choices=MODES, default="ok", help="how to answer (default ok)")
    receive.add_argument(
        "--status", type=int, default=500, help="status for fail and flaky (default 500)"
    )
    receive.add_argument(
        "--delay-ms",
        type=int,
        help="delay: wait before answering (default 1000); timeout: how long to hold (30000)",
    )
    receive.add_argument("--failure-rate", type=float, default=0.5, help="flaky: 0 to 1")
    receive.add_argument(
        "--secret-stdin",
        action="store_true",
        help="read secrets to check, one a line; hmac:VALUE or standard-webhooks:VALUE names "
        "the scheme (default: whsec_... is Standard Webhooks, anything else HMAC)",
    )
    receive.add_argument(
        "--require-signature", action="store_true", help="answer 401 to a bad or missing one"
    )
    receive.add_argument(
        "--fail-validation", action="store_true", help="do not echo the handshake secret"
    )
    receive.add_argument(
        "--inbox-limit", type=int, default=inbox.DEFAULT_LIMIT, help="requests kept (10,000)"
    )

    listing = add_verb(subparsers, "inbox", "list what the receiver captured", _inbox)
    listing.add_argument("--limit", type=int, default=50, help="newest N (default 50)")
    add_json_option(listing)


def _read_secrets() -> list:
    if sys.stdin is None:
        raise InvalidInput("--secret-stdin was given but there is no standard input.")
    text = getpass.getpass("Secret: ") if sys.stdin.isatty() else sys.stdin.read()
    secrets = secrets_from_text(text)
    if not secrets:
        raise InvalidInput("--secret-stdin was given but standard input held no secret.")
    return secrets


def _describe(capture: Capture) -> str:
    verdict = capture.signature
    if capture.signature_scheme:
        verdict += f" ({capture.signature_scheme}"
        verdict += f", {capture.secret_version})" if capture.secret_version else ")"
    parts = [
        capture.received_at.astimezone().strftime("%H:%M:%S"),
        capture.method,
        capture.path + (f"?{capture.query}" if capture.query else ""),
        str(capture.status_code),
        capture.event or "-",
        f"signature {verdict}",
    ]
    if capture.duplicate:
        parts.append(f"duplicate of {capture.delivery_id}")
    if not capture.body_is_json and capture.body:
        parts.append("body is not JSON")
    return "  ".join(parts)


def _print_capture(capture: Capture) -> None:
    print(_describe(capture), flush=True)


def _receive(args) -> int:
    options = ReceiverOptions(
        mode=args.mode,
        status=args.status,
        delay_ms=args.delay_ms,
        failure_rate=args.failure_rate,
        require_signature=args.require_signature,
        fail_validation=args.fail_validation,
        inbox_limit=args.inbox_limit,
    )
    options.check()
    secrets = _read_secrets() if args.secret_stdin else []
    db = open_db(args)
    receiver = Receiver(db, secrets=secrets, on_request=_print_capture)
    warning = binding_warning(args.host)
    if warning:
        print(f"webhook-desk: warning: {warning}", file=sys.stderr)
    receiver.start(args.host, args.port, options)
    if receiver.problem:
        print(f"webhook-desk: warning: {receiver.problem}", file=sys.stderr)
    known = len(receiver.book.known)
    print(
        f"Receiving at {receiver.url} (mode {options.mode}, {known} secrets known); Ctrl-C stops.",
        flush=True,
    )
    _wait_for_stop_signal()
    receiver.stop()
    return 0


def _wait_for_stop_signal() -> None:
    """Until Ctrl-C or SIGTERM, so a service manager's stop also writes the last captures."""
    stop = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)


def _inbox(args) -> int:
    if args.limit < 1:
        raise InvalidInput("--limit must be at least 1.")
    db = open_db(args)
    with db.session() as session:
        rows = inbox.recent(session, args.limit)
    print_rows(rows, INBOX_COLUMNS, args.json)
    return 0
