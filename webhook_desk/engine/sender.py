"""One HTTP request of a delivery: timeouts, no redirects, and a response read only up to a cap.

Each worker thread keeps its own requests.Session (connection reuse without sharing a pool
across threads). A failure is a value (Response.error), never an exception: the engine records it.
"""

from __future__ import annotations

import re
import ssl
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from http.cookiejar import DefaultCookiePolicy

import requests
from requests.adapters import HTTPAdapter

from webhook_desk.engine.client_tls import NO_TLS, ClientTls, ssl_context
from webhook_desk.engine.defaults import Timeouts
from webhook_desk.local_tls import trusted_ca_for
from webhook_desk.redaction import Redactor

RESPONSE_BODY_CAP = 16 * 1024  # bytes of a response body kept; the rest is never read
_CHUNK = 8192
# Distinct TLS settings (certificate, key, bundle) a sender keeps a context for, and each of
# its threads a session: registrations with their own certificates are few, and an old
# certificate's context is dropped once newer settings have been used in its place.
KEPT_TLS_PROFILES = 8
NO_COOKIES = DefaultCookiePolicy(allowed_domains=[])  # a policy that accepts no cookie


@dataclass
class Response:
    """What came back, or why nothing did (error set, status None)."""

    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: str | None = None
    duration_ms: int = 0
    error: str | None = None
    truncated: bool = False

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    def header(self, name: str) -> str | None:
        lower = name.lower()
        return next((v for k, v in self.headers.items() if k.lower() == lower), None)

    def scrubbed(self, redactor: Redactor) -> Response:
        """What may be stored: secret headers redacted, known secrets taken out of the rest."""
        return replace(
            self,
            headers=redactor.headers(self.headers),
            body=redactor.text(self.body),
            error=redactor.text(self.error),
        )


class Sender:
    """Sends requests with per-thread sessions; safe to share between worker threads."""

    def __init__(self, timeouts: Timeouts | None = None, body_cap: int = RESPONSE_BODY_CAP):
        self.timeouts = timeouts or Timeouts()
        self.body_cap = body_cap
        self._local = threading.local()
        # By TLS profile, least recently used first; shared: a context is thread-safe.
        self._contexts: OrderedDict[str, ssl.SSLContext] = OrderedDict()
        self._contexts_lock = threading.Lock()

    def session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = _new_session()
        return session

    def _tls_session(self, tls: ClientTls, url: str) -> requests.Session:
        """This thread's session for a registration's own TLS (one per distinct setting, the
        few most recently used only: a changed certificate leaves its old ones behind)."""
        sessions = self._local.__dict__.setdefault("tls_sessions", OrderedDict())
        profile = tls.profile(url)
        return _kept(sessions, profile, lambda: self._new_tls_session(tls, url, profile))

    def _new_tls_session(self, tls: ClientTls, url: str, profile: str) -> requests.Session:
        with self._contexts_lock:
            context = _kept(self._contexts, profile, lambda: ssl_context(tls, url))
        session = _new_session()
        session.mount("https://", _ContextAdapter(context))
        return session

    def post(
        self, url: str, headers: dict[str, str], body: bytes, tls: ClientTls = NO_TLS
    ) -> Response:
        """POST `body`; with `tls` set, over a connection that presents its client
        certificate and trusts its authorities."""
        started = time.monotonic()
        deadline = started + self.timeouts.total
        if tls.problem:
            return Response(error=tls.problem)
        try:
            session = self.session() if tls.is_default else self._tls_session(tls, url)
            raw = session.post(
                url,
                data=body,
                headers=headers,
                timeout=(self.timeouts.connect, self.timeouts.total),
                allow_redirects=False,
                stream=True,
                verify=_trust(url),
            )
        except ssl.SSLError as exc:  # the client certificate or bundle could not be loaded
            return Response(error=f"The TLS settings could not be used: {exc}.")
        except requests.RequestException as exc:
            error = _client_certificate_sentence(str(exc), tls.presents_to(url))
            error = error or describe_error(exc, self.timeouts)
            return Response(error=error, duration_ms=_ms(started))
        try:
            body_bytes, truncated = self._read_capped(raw, deadline)
        except (requests.RequestException, OSError) as exc:
            raw.close()
            return Response(
                status=raw.status_code,
                headers=dict(raw.headers),
                error=f"The response body could not be read: {describe_error(exc, self.timeouts)}",
                duration_ms=_ms(started),
            )
        return Response(
            status=raw.status_code,
            headers=dict(raw.headers),
            body=body_bytes.decode("utf-8", errors="replace"),
            duration_ms=_ms(started),
            truncated=truncated,
        )

    def _read_capped(self, raw: requests.Response, deadline: float) -> tuple[bytes, bool]:
        """Read at most the cap (+1 byte to know it was cut); stop at the total deadline."""
        chunks: list[bytes] = []
        size = 0
        while size <= self.body_cap:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise requests.Timeout(f"no complete answer within {self.timeouts.total:g} s")
            _limit_socket_wait(raw, remaining)
            chunk = raw.raw.read(min(_CHUNK, self.body_cap + 1 - size), decode_content=True)
            if not chunk:
                raw.raw.release_conn()  # fully read: the connection can carry the next one
                return b"".join(chunks), False
            chunks.append(chunk)
            size += len(chunk)
        # Over the cap: drop the connection rather than read a body nobody will keep.
        raw.close()
        return b"".join(chunks)[: self.body_cap], True

    def close(self) -> None:
        session = getattr(self._local, "session", None)
        if session is not None:
            session.close()
        for tls_session in self._local.__dict__.get("tls_sessions", {}).values():
            tls_session.close()


def _kept(kept: OrderedDict, profile: str, make):
    """kept[profile], made when missing; beyond KEPT_TLS_PROFILES the least recently used is
    dropped (a session closed), so a long-running engine's TLS memory stays bounded."""
    if profile in kept:
        kept.move_to_end(profile)
        return kept[profile]
    made = kept[profile] = make()
    while len(kept) > KEPT_TLS_PROFILES:
        _, dropped = kept.popitem(last=False)
        if isinstance(dropped, requests.Session):
            dropped.close()
    return made


def _new_session() -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # a user's proxy variables must not reroute webhooks
    session.headers.clear()  # only the platform's headers, not requests' defaults
    session.cookies.set_policy(NO_COOKIES)  # webhooks are stateless: no Set-Cookie kept
    return session


class _ContextAdapter(HTTPAdapter):
    """HTTPS with our own SSLContext only: requests would otherwise add its CA bundle to
    the context on every connection, and a registration's bundle replaces it."""

    def __init__(self, context: ssl.SSLContext):
        self._context = context
        super().__init__()

    def build_connection_pool_key_attributes(self, request, verify, cert=None):
        host, pool = super().build_connection_pool_key_attributes(request, verify, cert)
        pool.pop("ca_certs", None)
        pool.pop("ca_cert_dir", None)
        pool.update(ssl_context=self._context, cert_reqs="CERT_REQUIRED")
        return host, pool

    def cert_verify(self, conn, url, verify, cert) -> None:
        conn.cert_reqs, conn.ca_certs, conn.ca_cert_dir = "CERT_REQUIRED", None, None


def _limit_socket_wait(raw: requests.Response, remaining: float) -> None:
    """Let no single read wait past the total deadline (a receiver that drips bytes)."""
    connection = getattr(raw.raw, "connection", None) or getattr(raw.raw, "_connection", None)
    sock = getattr(connection, "sock", None)
    if sock is not None:
        sock.settimeout(max(remaining, 0.01))


def _trust(url: str) -> str | bool:
    """The local CA's certificate for the built-in receiver's addresses (https to this
    machine), the usual public authorities for every other URL."""
    local_ca = trusted_ca_for(url)
    return str(local_ca) if local_ca else True


# OpenSSL's verify messages, by what they mean for the user.
_CERTIFICATE_PROBLEMS = (
    (("local issuer", "self-signed", "self signed"), "is signed by an unknown authority"),
    (("has expired", "not yet valid"), "is not valid now"),
    (("hostname mismatch", "ip address mismatch"), "is not for this host"),
)
_VERIFY_MESSAGE = re.compile(r"certificate verify failed: (.*?)(?: \(_ssl\.c:\d+\))?['\")]*$")


def _certificate_sentence(text: str) -> str | None:
    """One sentence for a certificate the sender refused, None for any other error."""
    match = _VERIFY_MESSAGE.search(text)
    if "CERTIFICATE_VERIFY_FAILED" not in text or not match:
        return None
    detail = match.group(1)
    for needles, problem in _CERTIFICATE_PROBLEMS:
        if any(needle in detail.lower() for needle in needles):
            return f"The endpoint's certificate {problem}: {detail.rstrip('.')}."
    return f"The endpoint's certificate was refused: {detail.rstrip('.')}."


# How a TLS server ends a handshake over a client certificate: an alert, or (TLS 1.3, where it
# checks the certificate after the client thinks the handshake is done) a closed connection.
_REFUSALS = {
    "CERTIFICATE_REQUIRED": "it requires one",
    "ALERT_HANDSHAKE_FAILURE": "handshake failure",
    "ALERT_BAD_CERTIFICATE": "bad certificate",
    "ALERT_UNKNOWN_CA": "unknown authority",
    "ALERT_CERTIFICATE_EXPIRED": "expired",
    "EOF occurred in violation of protocol": "it closed the connection",
}


def _client_certificate_sentence(text: str, presented: bool) -> str | None:
    """One sentence when the endpoint ended the TLS handshake over the client certificate."""
    refusal = next((r for r in _REFUSALS if r in text), None)
    if refusal is None or "SSLError" not in text:
        return None
    if not presented:
        return (
            "The endpoint refused the TLS connection: it requires a client certificate, and "
            "this registration has none."
        )
    return f"The endpoint refused the client certificate ({_REFUSALS[refusal]})."


def describe_error(exc: BaseException, timeouts: Timeouts | None = None) -> str:
    """One sentence for the history: what went wrong with the request."""
    t = timeouts or Timeouts()
    if isinstance(exc, requests.ConnectTimeout):
        return f"Timed out connecting after {t.connect:g} s."
    if isinstance(exc, requests.ReadTimeout | requests.Timeout):
        return f"No answer within {t.total:g} s."
    text = str(exc)
    certificate_problem = _certificate_sentence(text)
    if certificate_problem:
        return certificate_problem
    for needle, sentence in (
        ("Connection refused", "Connection refused."),
        ("Connection reset", "Connection reset by the receiver."),
        ("RemoteDisconnected", "The receiver closed the connection without answering."),
        ("Name or service not known", "The host name could not be resolved."),
        ("nodename nor servname", "The host name could not be resolved."),
    ):
        if needle in text:
            return sentence
    if isinstance(exc, requests.exceptions.InvalidURL | requests.exceptions.MissingSchema):
        return f"The URL is not valid: {text}"
    return f"{type(exc).__name__}: {text}"[:500]


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
