"""A sender's side for the receiver tests: signing done independently of webhook_desk.signing
(Python's hmac and base64, the `standardwebhooks` reference library), raw sockets for
hostile input, and a look into the inbox."""

from __future__ import annotations

import base64
import hashlib
import hmac
import socket
import ssl
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import requests
from requests.adapters import HTTPAdapter
from standardwebhooks import Webhook

from webhook_desk.engine.sender import Timeouts
from webhook_desk.engine.worker import Engine
from webhook_desk.local_tls import ClientCertificate, LocalCA
from webhook_desk.receiver import inbox
from webhook_desk.receiver.answers import ReceiverOptions
from webhook_desk.receiver.server import Receiver
from webhook_desk.secrets import SecretStore
from webhook_desk.services import firing

PROMPT_S = 1.0


def start(db, secrets=(), store=None, on_request=None, **options) -> Receiver:
    receiver = Receiver(db, store=store, secrets=secrets, on_request=on_request)
    receiver.start("127.0.0.1", 0, ReceiverOptions(**options))
    return receiver


def receivers(db) -> Iterator[Callable[..., Receiver]]:
    """For a fixture: a way to start receivers on `db`, each stopped when the test ends."""
    running = []

    def run(secrets=(), **options) -> Receiver:
        receiver = start(db, secrets, **options)
        running.append(receiver)
        return receiver

    yield run
    for receiver in running:
        receiver.stop()


def actigraph_headers(secret: str, body: bytes) -> dict[str, str]:
    digest = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return {"X-ActiGraph-Signature": base64.b64encode(digest).decode()}


def legacy_headers(secret: str, body: bytes) -> dict[str, str]:
    """The platform's 2015 form: HMAC-SHA512 over UTF-16LE key and body, upper-case hex."""
    key, text = secret.encode("utf-16-le"), body.decode().encode("utf-16-le")
    digest = hmac.new(key, text, hashlib.sha512).hexdigest().upper()
    return {"X-ActiGraph-Signature": "sha1=" + digest}


def standard_headers(secret: str, msg_id: str, body: bytes, at: datetime | None = None) -> dict:
    at = at or datetime.now(UTC)
    signature = Webhook(secret).sign(msg_id, at, body.decode())
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signature,
    }


def post(receiver: Receiver, path: str = "/hooks", body: bytes = b"{}", headers=None, **kw):
    return requests.post(receiver.url.rstrip("/") + path, data=body, headers=headers, **kw)


def captured(receiver: Receiver) -> list[dict]:
    """The inbox, oldest first, once everything answered so far is written."""
    assert receiver.flush(), "the inbox writer did not catch up"
    with receiver.db.session() as session:
        return list(reversed(inbox.recent(session, limit=100_000)))


def deliver_to_receiver(db, event: str, payloads: list[str]) -> list[dict]:
    """Fire `event` once per payload at a built-in receiver, deliver them all, and return
    what the receiver captured (the receiver is stopped again)."""
    receiver = start(db)
    try:
        with db.session() as session:
            for body in payloads:
                firing.fire(session, event, url=receiver.url + "hooks", payload=body)
        Engine(db, SecretStore(), timeouts=Timeouts(connect=1, total=3)).run_until_idle()
        return captured(receiver)
    finally:
        receiver.stop()


def last_capture(receiver: Receiver) -> dict:
    return captured(receiver)[-1]


def assert_still_serving(receiver: Receiver, captured_before: list[dict]) -> None:
    """A normal request is answered promptly and nothing captured earlier was lost."""
    started = time.monotonic()
    response = post(receiver, "/after", b'{"normal": true}', timeout=5)
    elapsed = time.monotonic() - started
    assert response.status_code == 200
    assert elapsed < PROMPT_S, f"a normal request took {elapsed:.2f} s"
    now = captured(receiver)
    before_ids = [row["id"] for row in captured_before]
    assert [row["id"] for row in now[: len(before_ids)]] == before_ids
    assert now[-1]["path"] == "/after"


def connect(receiver: Receiver, timeout: float = 5.0) -> socket.socket:
    host, port = receiver.address
    return socket.create_connection((host, port), timeout=timeout)


def exchange(receiver: Receiver, data: bytes, timeout: float = 5.0) -> bytes:
    """Send raw bytes and read until the server closes or a full header block arrives."""
    with connect(receiver, timeout) as sock:
        sock.sendall(data)
        return read_head(sock)


def read_head(sock: socket.socket) -> bytes:
    received = b""
    while b"\r\n\r\n" not in received:
        chunk = sock.recv(65536)
        if not chunk:
            break
        received += chunk
    return received


def status_of(head: bytes) -> int:
    return int(head.split(b" ", 2)[1])


def closed_by_server(sock: socket.socket, deadline_s: float) -> bool:
    """Whether the server closes `sock` within `deadline_s` (reading what it may send)."""
    sock.settimeout(0.1)
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        try:
            if sock.recv(65536) == b"":
                return True
        except TimeoutError:
            continue
        except OSError:
            return True
    return False


# --- mTLS: a client presenting a certificate ---------------------------------------------


class ContextAdapter(HTTPAdapter):
    """requests over an SSLContext of our own: it holds the client certificate and key."""

    def __init__(self, context: ssl.SSLContext):
        self.context = context
        super().__init__()

    def init_poolmanager(self, *args, **kwargs):
        kwargs["ssl_context"] = self.context
        return super().init_poolmanager(*args, **kwargs)


def client(ca: LocalCA, certificate: ClientCertificate | None) -> requests.Session:
    """A client trusting the local CA, presenting `certificate` (its key unlocked) if given."""
    context = ssl.create_default_context(cafile=str(ca.certificate_path))
    if certificate is not None:
        context.load_cert_chain(certificate.cert_file, certificate.key_file, certificate.passphrase)
    session = requests.Session()
    session.mount("https://", ContextAdapter(context))
    return session


def send(url: str, ca: LocalCA, certificate, path: str = "/hooks", timeout=5):
    """POST a small JSON body to `url` + `path`, presenting `certificate` if given."""
    with client(ca, certificate) as session:
        return session.post(url + path.lstrip("/"), data=b'{"event": "upload"}', timeout=timeout)
