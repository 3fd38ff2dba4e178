"""`webhook-desk receive` runs the built-in receiver headless (`inbox` lists what it captured)."""

from __future__ import annotations

import getpass
import signal
import sys
import threading
from collections.abc import Callable
from functools import partial
from pathlib import Path

from webhook_desk.cli.common import open_db
from webhook_desk.errors import InvalidInput
from webhook_desk.local_http import check_port
from webhook_desk.local_tls import LocalCA, ServingCertificate, client_passphrase_key
from webhook_desk.platform.sender_addresses import is_platform_sender, remote_label
from webhook_desk.receiver import inbox
from webhook_desk.receiver.answers import ReceiverOptions
from webhook_desk.receiver.client_certs import ClientCertificateRule, check_rule
from webhook_desk.receiver.inbox import Capture
from webhook_desk.receiver.server import Receiver, binding_warning
from webhook_desk.receiver.verdicts import secrets_from_text
from webhook_desk.tls_handshakes import Refusal


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
    if is_platform_sender(capture.remote_addr):
        parts.append(f"from {remote_label(capture.remote_addr)}")
    if capture.client_cert_subject:
        parts.append(f"client certificate {capture.client_cert_subject}")
    if capture.duplicate:
        parts.append(f"duplicate of {capture.delivery_id}")
    if not capture.body_is_json and capture.body:
        parts.append("body is not JSON")
    return "  ".join(parts)


def _print_capture(receiver: Receiver, capture: Capture) -> None:
    print(_describe(capture), flush=True)
    if not capture.kept:
        print(
            f"webhook-desk: answered {capture.status_code}, so the sender will try again: "
            f"{receiver.problem or 'the inbox did not store the request in time.'}",
            file=sys.stderr,
            flush=True,
        )


def _certificate(args) -> ServingCertificate | None:
    """What to serve HTTPS with: the user's --cert and --key, the local CA's with --tls."""
    if bool(args.cert) != bool(args.key):
        raise InvalidInput("--cert and --key go together: give both, or --tls alone.")
    if args.cert:
        return ServingCertificate(Path(args.cert), Path(args.key))
    return LocalCA().localhost_certificate() if args.tls else None


def _client_rule(args, serving_tls: bool) -> ClientCertificateRule | None:
    """Whose client certificates to require: --client-ca's, else the local CA's."""
    if args.client_ca and not args.require_client_cert:
        raise InvalidInput("--client-ca goes with --require-client-cert.")
    if not args.require_client_cert:
        return None
    check_rule(True, serving_tls)
    ca_file = Path(args.client_ca) if args.client_ca else LocalCA().certificate_file()
    return ClientCertificateRule(ca_file)


def _announce_certificate(certificate: ServingCertificate, by_local_ca: bool) -> None:
    print(f"Certificate SHA-256 fingerprint: {certificate.fingerprint}", flush=True)
    if by_local_ca:  # say what a client other than webhook-desk should trust
        print(
            f"Issued by the local CA, whose certificate is {LocalCA().certificate_path}", flush=True
        )


def _print_refusal(refusal: Refusal) -> None:
    """A refused TLS handshake never reaches the inbox: one line on stderr says it."""
    print(f"webhook-desk: TLS handshake refused: {refusal.sentence}", file=sys.stderr, flush=True)


def _receive(args) -> int:
    options = ReceiverOptions(
        mode=args.mode,
        status=args.status,
        delay_ms=args.delay_ms,
        failure_rate=args.failure_rate,
        require_signature=args.require_signature,
        fail_validation=args.fail_validation,
        inbox_limit=inbox.DEFAULT_LIMIT if args.inbox_limit is None else args.inbox_limit,
    )
    options.check()
    check_port(args.port)  # before secrets are asked for
    certificate = _certificate(args)
    client_rule = _client_rule(args, certificate is not None)
    secrets = _read_secrets() if args.secret_stdin else []
    db = open_db(args)
    receiver = Receiver(db, secrets=secrets)
    receiver.on_request = partial(_print_capture, receiver)
    receiver.handshakes.on_refused = _print_refusal
    warning = binding_warning(args.host)
    if warning:
        print(f"webhook-desk: warning: {warning}", file=sys.stderr)
    receiver.start(args.host, args.port, options, certificate, client_rule)
    if receiver.problem:
        print(f"webhook-desk: warning: {receiver.problem}", file=sys.stderr)
    known = len(receiver.book.known)

    def announce() -> None:
        print(
            f"Receiving at {receiver.url} (mode {options.mode}, {known} secrets known); "
            "Ctrl-C stops.",
            flush=True,
        )
        if certificate:
            _announce_certificate(certificate, by_local_ca=not args.cert)
        if client_rule:
            print(f"Client certificates required, issued by {client_rule.authorities}", flush=True)

    _wait_for_stop_signal(announce)
    receiver.stop()
    return 0


def _issue_client_cert(args) -> int:
    ca = LocalCA()
    issued = ca.issue_client_certificate(args.name, Path(args.out))
    print(f"Client certificate: {issued.cert_file}")
    print(f"Key (encrypted): {issued.key_file}")
    print(f"SHA-256 fingerprint: {issued.fingerprint}")
    print(
        f"Issued by the local CA ({ca.certificate_path}), which `receive --tls "
        "--require-client-cert` trusts."
    )
    if args.print_passphrase:
        print(f"Key passphrase (shown this once): {issued.passphrase}")
    else:
        print(
            f"Key passphrase: in the keyring ({ca.store.backend}) as "
            f"'{client_passphrase_key(issued.name)}'; --print-passphrase shows it."
        )
    return 0


def _wait_for_stop_signal(announce: Callable[[], None] | None = None) -> None:
    """Until Ctrl-C or SIGTERM, so a service manager's stop also writes the last captures.
    `announce` runs once SIGTERM is caught: a stop sent as soon as it is read still writes."""
    stop = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        if announce is not None:
            announce()
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
