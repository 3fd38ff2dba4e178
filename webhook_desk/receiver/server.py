"""The built-in receiver: an aiohttp server on its own thread that captures every request.

aiohttp was chosen by measurement (benchmarks/README.md): its llhttp parser answers 400 to
malformed request lines and headers and caps header sizes, and its keep-alive timer also
closes connections that never finish a request. What it leaves to the application, we add:
a body cap answered with 413 before the body is read, and a deadline for reading a body.

The class has no Qt: the GUI passes `on_request` and turns it into a signal.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import logging
import os
from collections.abc import Callable

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError

from webhook_desk import redaction
from webhook_desk.errors import UserError
from webhook_desk.local_http import ServingThread, listening_socket
from webhook_desk.local_tls import ServingCertificate
from webhook_desk.receiver import descriptors
from webhook_desk.receiver.answers import Answer, ReceiverOptions, decide
from webhook_desk.receiver.client_certs import (
    REFUSAL_STATUS,
    ClientCertificateRule,
    check_rule,
    presented,
)
from webhook_desk.receiver.inbox import Capture, DuplicateTracker, InboxWriter, recent_delivery_ids
from webhook_desk.receiver.verdicts import SecretBook
from webhook_desk.secrets import SecretStore
from webhook_desk.settings import RECEIVER_DEFAULT_HOST, RECEIVER_DEFAULT_PORT
from webhook_desk.tls_handshakes import Refusals

log = logging.getLogger(__name__)

SECRETS_REFRESH_S = 10.0
SHUTDOWN_GRACE_S = 1.0
METHOD_MAX = 16  # ReceivedRequest.method
ID_MAX = 100  # ReceivedRequest.event, .delivery_id
UNSTORED_STATUS = 503  # what a request gets when the inbox cannot keep it
# Answered before the body was read: refused whether stored or not.
REFUSED = (REFUSAL_STATUS, 408, 413)
STORE_TIMEOUT_S = 10.0


class BodyTooLarge(Exception):
    pass


class ClientErrorCounter(logging.Filter):
    """Counts, and keeps out of the log, requests refused for the client's own fault.

    aiohttp logs a traceback for every malformed request it answers with 400 and for every
    client that hangs up mid-body; a hostile client could fill a log that way.
    """

    def __init__(self):
        super().__init__()
        self.count = 0

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, HttpProcessingError | ConnectionResetError):
            self.count += 1
            return False
        return True


def binding_warning(host: str) -> str | None:
    """A sentence when `host` exposes the receiver beyond this machine."""
    try:
        if ipaddress.ip_address(host).is_loopback:
            return None
    except ValueError:
        if host.lower() == "localhost":
            return None
    return (
        f"The receiver listens on {host or 'every interface'}, so other machines may reach it; "
        "use --host 127.0.0.1 unless that is what you want."
    )


def _new_event_loop() -> asyncio.AbstractEventLoop:
    """uvloop when installed (measured faster, see benchmarks/README.md), else asyncio's own.

    WEBHOOK_DESK_RECEIVER_LOOP=asyncio forces the standard loop, for comparison.
    """
    if os.environ.get("WEBHOOK_DESK_RECEIVER_LOOP") != "asyncio":
        try:
            import uvloop
        except ImportError:
            pass
        else:
            return uvloop.new_event_loop()
    return asyncio.new_event_loop()


def _short(value: str | None) -> str | None:
    """Cut to the inbox column's size: PostgreSQL refuses longer values, SQLite would keep them."""
    return _storable(value)[:ID_MAX] if value else value


def _storable(text: str) -> str:
    """Text any database takes: bytes that were not UTF-8 (kept as surrogates) become U+FFFD."""
    if text.isascii():
        return text
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _stored_headers(request: web.BaseRequest, redactor: redaction.Redactor) -> dict[str, str]:
    headers: dict[str, str] = {}
    for name, value in request.headers.items():
        name, value = _storable(name), _storable(value)
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    return redactor.headers(headers)


async def _read_capped(request: web.BaseRequest, cap: int) -> bytes:
    chunks, size = [], 0
    async for chunk in request.content.iter_any():
        size += len(chunk)
        if size > cap:
            raise BodyTooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def _json_facts(body: bytes) -> tuple[bool, str | None]:
    """Whether the body is JSON, and the event it names when no header does."""
    try:
        document = json.loads(body)
    except ValueError:
        return False, None
    if isinstance(document, dict):
        for key in ("event", "eventCode", "type"):
            if isinstance(document.get(key), str):
                return True, document[key]
    return True, None


class Receiver:
    """A running (or stopped) receiver; start() and stop() may be called from any thread."""

    def __init__(
        self,
        db,
        store: SecretStore | None = None,
        secrets=(),
        on_request: Callable[[Capture], None] | None = None,
    ):
        self.db = db
        self.book = SecretBook(db, store, secrets)
        self.on_request = on_request
        self.options = ReceiverOptions()
        self._address: tuple[str, int] | None = None
        self.certificate: ServingCertificate | None = None  # while serving HTTPS
        self.client_certificates: ClientCertificateRule | None = None  # while requiring them
        self._serving = ServingThread("receiver", self._runner, _new_event_loop, self._beside)
        self._server: web.Server | None = None
        self._writer: InboxWriter | None = None
        self._redactor = redaction.DEFAULT  # with the user's secret headers once started
        self._duplicates: DuplicateTracker | None = None
        self._client_errors = ClientErrorCounter()
        self._http_log = logging.getLogger(f"{__name__}.http.{id(self)}")
        self._http_log.addFilter(self._client_errors)
        # TLS handshakes refused (nothing of them reaches the inbox); `on_refused` is told of
        # each, on the serving thread.
        self.handshakes = Refusals()

    @property
    def refused(self) -> int:
        """Requests answered 400 as malformed, or dropped by the client, since creation."""
        return self._client_errors.count

    @property
    def address(self) -> tuple[str, int] | None:
        """(host, port) while running; the port is the real one when 0 was asked for."""
        return self._address

    @property
    def url(self) -> str | None:
        if self._address is None:
            return None
        host, port = self._address
        scheme = "https" if self.certificate else "http"
        return f"{scheme}://{f'[{host}]' if ':' in host else host}:{port}/"

    @property
    def running(self) -> bool:
        return self._address is not None

    @property
    def problem(self) -> str | None:
        """The last sentence about secrets or the inbox that the user should see, if any."""
        writer_problem = self._writer.problem if self._writer else None
        return self._serving.failure or writer_problem or self.book.problem

    def start(
        self,
        host: str = RECEIVER_DEFAULT_HOST,
        port: int = RECEIVER_DEFAULT_PORT,
        options: ReceiverOptions | None = None,
        tls: ServingCertificate | None = None,
        client_certificates: ClientCertificateRule | None = None,
    ) -> None:
        """Serve on host:port, over HTTPS with `tls`'s certificate when given, refusing
        requests without a client certificate when `client_certificates` says so."""
        if self.running:
            raise UserError(f"The receiver is already running at {self.url}.")
        options = options or self.options
        options.check()
        check_rule(client_certificates is not None, tls is not None)
        self.options = options
        context = tls.server_context() if tls else None
        if context and client_certificates:
            client_certificates.require_in(context)
        sock = listening_socket(host, port)
        try:
            self._prepare(host, sock.getsockname()[1], options)
        except BaseException:
            sock.close()
            raise
        self._address = (host, sock.getsockname()[1])
        self.certificate, self.client_certificates = tls, client_certificates
        self.handshakes = Refusals(self.handshakes.on_refused)  # counted per run
        try:
            self._serving.start(sock, "receiver", context, self.handshakes)
        except UserError:
            self._inbox.close()
            self._address = None
            self.certificate = self.client_certificates = None
            raise

    @property
    def _inbox(self) -> InboxWriter:
        assert self._writer is not None, "the inbox writer is made by start()"
        return self._writer

    def _prepare(self, host: str, port: int, options: ReceiverOptions) -> None:
        """Secrets, inbox writer and seen delivery ids, before the first request is accepted."""
        self._serving.failure = None
        self.book.refresh(host, port)
        with self.db.session() as session:
            seen = recent_delivery_ids(session, options.inbox_limit)
            self._redactor = redaction.redactor(session)
        self._duplicates = DuplicateTracker(options.inbox_limit, seen)
        self._writer = InboxWriter(self.db, options.inbox_limit, self._written)

    def stop(self) -> None:
        """Stop serving (held requests are dropped) and write what was captured."""
        if not self.running:
            return
        self._serving.stop()
        self._inbox.close()
        self._address = None
        self.certificate = self.client_certificates = None

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until every request answered so far is in the inbox."""
        return self._writer.flush(timeout) if self._writer else True

    def refresh_secrets(self) -> None:
        """Reload registration secrets and the user's secret headers now (e.g. after a
        rotation in the GUI)."""
        if self._address:
            self.book.refresh(*self._address)
            with self.db.session() as session:
                self._redactor = redaction.redactor(session)

    def _written(self, capture: Capture) -> None:
        if not capture.kept and capture.status_code not in REFUSED:  # those were not waited on
            capture.status_code = UNSTORED_STATUS
        if self.on_request is not None:
            self.on_request(capture)

    def _runner(self) -> web.ServerRunner:
        server = web.Server(
            self._handle,
            handler_cancellation=True,
            keepalive_timeout=self.options.idle_timeout_s,
            access_log=None,
            logger=self._http_log,
        )
        self._server = server
        return web.ServerRunner(server, handle_signals=False, shutdown_timeout=SHUTDOWN_GRACE_S)

    async def _beside(self) -> None:
        """What runs beside serving: secrets kept fresh, file descriptors watched."""
        await asyncio.gather(
            self._refresh_secrets_periodically(),
            descriptors.watch(lambda: self._server, "receiver"),
        )

    async def _refresh_secrets_periodically(self) -> None:
        while True:
            await asyncio.sleep(SECRETS_REFRESH_S)
            # The keyring may be slow (D-Bus): never on the serving loop itself.
            await asyncio.to_thread(self.refresh_secrets)

    async def _handle(self, request: web.BaseRequest) -> web.StreamResponse:
        options, rule = self.options, self.client_certificates
        # Credentials in the request's headers are scrubbed from all that is kept of it.
        seen = self._redactor.knowing(request.headers)
        headers = _stored_headers(request, seen)
        capture = Capture(
            method=request.method[:METHOD_MAX],
            # As sent, still percent-encoded: a decoded %00 is a NUL that PostgreSQL refuses.
            path=_storable(request.rel_url.raw_path),
            query=_storable(request.rel_url.raw_query_string),
            headers=headers,
            body=b"",
            remote_addr=request.remote or "",
            status_code=0,
            event=_short(request.headers.get("X-ActiGraph-Event")),
            delivery_id=_short(
                request.headers.get("X-ActiGraph-Delivery") or request.headers.get("webhook-id")
            ),
        )
        client_certificate = presented(request.transport)
        if client_certificate is not None:
            capture.client_cert_subject = client_certificate.subject
            capture.client_cert_fingerprint = client_certificate.fingerprint
        elif rule is not None:
            return self._refuse(capture, REFUSAL_STATUS, rule.refusal)
        if (request.content_length or 0) > options.body_cap:
            return self._refuse(capture, 413, "the body is larger than the receiver accepts")
        try:
            async with asyncio.timeout(options.body_timeout_s):
                capture.body = await _read_capped(request, options.body_cap)
        except BodyTooLarge:
            return self._refuse(capture, 413, "the body is larger than the receiver accepts")
        except TimeoutError:
            return self._refuse(capture, 408, "the body did not arrive in time")
        verdict = self.book.verdict(request.headers, capture.body)
        if self.book.may_know_more(verdict) and self._address:
            await asyncio.to_thread(self.book.refresh_if_stale, *self._address)
            verdict = self.book.verdict(request.headers, capture.body)
        answer = self._answer(request, capture, verdict, seen)
        if not await self._stored(capture):
            return self._unstored()
        if answer.wait_s:
            await asyncio.sleep(answer.wait_s)
        return web.Response(
            status=answer.status,
            body=answer.body,
            headers=answer.headers,
            content_type="application/json",
        )

    def _answer(self, request: web.BaseRequest, capture: Capture, verdict, seen) -> Answer:
        capture.body_is_json, body_event = _json_facts(capture.body)
        capture.body = seen.body(capture.body)  # after the signature was checked over it
        capture.event = capture.event or _short(body_event)
        capture.signature = verdict.status
        capture.signature_scheme = verdict.scheme
        capture.secret_version = verdict.secret_label
        assert self._duplicates is not None  # set before the first request is accepted
        capture.duplicate = self._duplicates.is_repeat(capture.delivery_id)
        answer = decide(self.options, request.path, request.headers, verdict)
        capture.status_code = answer.status
        return answer

    async def _stored(self, capture: Capture) -> bool:
        """Whether the inbox kept `capture`; a store slower than STORE_TIMEOUT_S counts as not."""
        stored = asyncio.get_running_loop().create_future()
        self._inbox.put(capture, stored)
        try:
            async with asyncio.timeout(STORE_TIMEOUT_S):
                return await stored
        except TimeoutError:
            capture.kept = False
            return False

    def _unstored(self) -> web.Response:
        """503, so the sender tries again: a capture that was not kept is not acknowledged."""
        body = json.dumps({"error": "the receiver could not store the request; try again"})
        return web.Response(
            status=UNSTORED_STATUS, body=body.encode(), content_type="application/json"
        )

    def _refuse(self, capture: Capture, status: int, reason: str) -> web.Response:
        capture.status_code = status
        capture.body_is_json = False
        self._inbox.put(capture)
        body = json.dumps({"error": reason}).encode()
        response = web.Response(status=status, body=body, content_type="application/json")
        response.force_close()  # the rest of the body is not read: the connection is unusable
        return response
