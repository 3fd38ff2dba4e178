""" "Does my endpoint behave?": a receiving endpoint checked the way the platform will use it,
each check passed, failed or not applicable, with the evidence (request sent, answer, time).

Requests are signed by the engine's own code (engine/auth.py, engine/headers.py), carry
`X-WebhookDesk-Check: <run id>` so the receiving team can tell them apart, and are recorded in
History as deliveries with source "check" and the run id. Nothing here imports Qt: the CLI and
the window both run it, the window with a progress callback per check.
"""

from __future__ import annotations

import json
import socket
import ssl
import statistics
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from webhook_desk import __version__, redaction, signing
from webhook_desk.certificate_expiry import EXPIRY_WARNING
from webhook_desk.db.models import Attempt, Delivery, utcnow
from webhook_desk.engine import auth
from webhook_desk.engine.client_tls import NO_TLS, ClientTls, load_tls
from webhook_desk.engine.headers import platform_headers
from webhook_desk.engine.sender import Response, Sender, Timeouts
from webhook_desk.errors import InvalidInput
from webhook_desk.secrets import SecretStore
from webhook_desk.services import catalog, firing, registrations
from webhook_desk.services.delivery_engine import ServiceBookkeeping
from webhook_desk.vocabulary import AuthType, DeliveryStatus

CHECK_HEADER = "X-WebhookDesk-Check"
PASS, FAIL, NOT_APPLICABLE, INFO = "pass", "fail", "not applicable", "information"
MB = 1_000_000
CONCURRENT, TIMED = 10, 20
Progress = Callable[["CheckResult"], None]


@dataclass
class Evidence:
    request: str  # "POST url" and the notable headers, secrets redacted
    answer: str  # "200 in 12 ms", or the error
    ms: int = 0


@dataclass
class CheckResult:
    number: int
    title: str
    verdict: str = NOT_APPLICABLE
    detail: str = ""
    evidence: list[Evidence] = field(default_factory=list)


@dataclass
class Target:
    url: str
    creds: auth.Credentials
    events: list[str]
    registration_id: int | None = None
    study: str | None = None
    development: bool = False
    tls: ClientTls = NO_TLS  # the registration's client certificate and trusted CAs

    @property
    def scheme(self) -> str:
        return str(self.creds.auth_type)


@dataclass
class CheckRun:
    run_id: str
    target: str
    scheme: str
    registration_id: int | None
    study: str | None
    started_at: str
    product_version: str
    confirmed_by: str
    results: list[CheckResult] = field(default_factory=list)
    finished_at: str = ""

    @property
    def verdict(self) -> str:
        return FAIL if any(r.verdict == FAIL for r in self.results) else PASS

    def as_dict(self) -> dict:
        return {**asdict(self), "verdict": self.verdict}


def target_of_registration(db, store: SecretStore, reg_id) -> Target:
    with db.session() as session:
        reg = registrations.get(session, reg_id)
        book = ServiceBookkeeping(store)
        creds = auth.load_credentials(session, book, reg)
        return Target(
            reg.url, creds, list(reg.event_codes) or ["upload"], reg.id, reg.study_id,
            bool(reg.is_development), load_tls(session, book, reg),
        )  # fmt: skip


def target_of_url(url: str, auth_type: str = "none", secret: str | None = None) -> Target:
    problems = firing.url_problems(url)
    if problems:
        raise InvalidInput(" ".join(problems))
    kinds = {
        "none": auth.NO_AUTH,
        "hmac": auth.Credentials(AuthType.HMAC, hmac_secret=secret),
        "standard-webhooks": auth.Credentials(
            AuthType.STANDARD_WEBHOOKS, whsec_secrets=(secret or "",)
        ),
    }
    if auth_type not in kinds:
        raise InvalidInput(
            f"Checking a URL takes --auth {', '.join(kinds)}; '{auth_type}' is not one."
        )
    if auth_type != "none" and not secret:
        raise InvalidInput(f"--auth {auth_type} needs the secret on stdin (--secret-stdin).")
    return Target(url.strip(), kinds[auth_type], ["upload"], development=True)


def run(
    db,
    target: Target,
    confirmed_by: str,
    progress: Progress | None = None,
    timeouts: Timeouts | None = None,
) -> CheckRun:
    """Every check, in order; `confirmed_by` is who confirmed the target (for the report)."""
    checker = _Checker(db, target, timeouts or Timeouts(connect=5, total=15))
    checks = CheckRun(
        checker.run_id, target.url, target.scheme, target.registration_id, target.study,
        utcnow().isoformat(), __version__, confirmed_by,
    )  # fmt: skip
    try:
        for step in checker.steps():
            result = step()
            checks.results.append(result)
            if progress is not None:
                progress(result)
    finally:
        checker.close()
    checks.finished_at = utcnow().isoformat()
    return checks


class _Checker:
    def __init__(self, db, target: Target, timeouts: Timeouts):
        self.db, self.target, self.timeouts = db, target, timeouts
        self.run_id = uuid.uuid4().hex[:12]
        self.sender = Sender(timeouts)
        self.tokens = auth.TokenCache(timeouts.total)
        self.redirects: list[str] = []

    def steps(self) -> list[Callable[[], CheckResult]]:
        return [
            self.handshake, self.samples, self.forgeries, self.duplicates,
            self.load, self.sizes, self.transport, self.strays,
        ]  # fmt: skip

    def close(self) -> None:
        self.sender.close()

    # --- sending and recording --------------------------------------------------------

    def send(self, event: str, body: bytes, sign=True, extra=None, delivery=None, method="POST"):
        """One request as the platform would send it (auth by the engine's code unless
        sign=False), recorded in History; returns (response, evidence)."""
        delivery = delivery or str(uuid.uuid4())
        presents = self.target.tls.presents_to(self.target.url)
        headers = platform_headers(self.target.registration_id, event, delivery, presents)
        headers[CHECK_HEADER] = self.run_id
        if sign:
            session = self.sender.session()
            headers.update(
                auth.auth_headers(self.target.creds, body, delivery, self.tokens, session)
            )
        headers.update(extra or {})
        if method == "GET":
            response = self._get(headers)
        else:
            response = self.sender.post(self.target.url, headers, body, self.target.tls)
        if response.status is not None and 300 <= response.status < 400:
            self.redirects.append(f"{response.status} to {response.header('Location')}")
        self._record(event, body, delivery, headers, response)
        return response, _evidence(method, self.target.url, headers, response)

    def _get(self, headers: dict) -> Response:
        session = self.sender.session()
        try:
            raw = session.get(
                self.target.url, headers=headers, timeout=self.timeouts.total, allow_redirects=False
            )
        except Exception as error:  # any failure to connect is an answer here
            return Response(error=str(error))
        return Response(status=raw.status_code, headers=dict(raw.headers), body=raw.text[:2000])

    def _record(self, event: str, body: bytes, delivery: str, headers: dict, response: Response):
        status = DeliveryStatus.SUCCEEDED if response.ok else DeliveryStatus.FAILED
        text = body.decode("utf-8", errors="replace")
        with self.db.session() as session:
            row = Delivery(
                uuid=str(uuid.uuid4()), registration_id=self.target.registration_id,
                target_url=self.target.url, event_code=event, payload=text,
                study_id=self.target.study, status=status, response_code=response.status,
                attempt_count=1, error=response.error, duration_ms=response.duration_ms,
                source="check", remote_id=self.run_id, last_sent_at=utcnow(),
            )  # fmt: skip
            row.attempts.append(
                Attempt(
                    number=1,
                    url=self.target.url,
                    request_headers=redaction.redacted(headers),
                    response_code=response.status,
                    response_headers=redaction.redacted(response.headers),
                    response_body=response.body,
                    duration_ms=response.duration_ms,
                    error=response.error,
                )  # fmt: skip
            )
            session.add(row)

    def sample(self, event: str) -> bytes:
        with self.db.session() as session:
            data = catalog.sample_payload(catalog.get_event(session, event))
        return json.dumps(data, separators=(",", ":")).encode("utf-8")

    # --- the checks -------------------------------------------------------------------

    def handshake(self) -> CheckResult:
        result = CheckResult(1, "Validation handshake answered with 200 and the echoed hook secret")
        code = str(uuid.uuid4())
        body = json.dumps(
            {"WebhookId": str(self.target.registration_id or 0), "ValidationCode": code}
        )
        response, evidence = self.send(
            "validation", body.encode(), sign=False, extra={"X-ActiGraph-Hook-Secret": code}
        )
        result.evidence.append(evidence)
        echoed = response.header("X-ActiGraph-Hook-Secret")
        if response.status == 200 and echoed == code:
            return _verdict(
                result, PASS, f"Answered 200 with the code in {response.duration_ms} ms."
            )
        why = response.error or f"answered {response.status}" + (
            "" if echoed == code else " without echoing X-ActiGraph-Hook-Secret"
        )
        return _verdict(result, FAIL, f"The handshake failed: {why}.")

    def samples(self) -> CheckResult:
        result = CheckResult(2, "Each subscribed event's sample, correctly signed, is accepted")
        sent = [(event, event, self.sample(event)) for event in self.target.events]
        refused = self._refused(result, sent)
        if refused:
            return _verdict(result, FAIL, "Refused: " + ", ".join(refused) + ".")
        return _verdict(result, PASS, f"{len(self.target.events)} event(s) accepted.")

    def _refused(self, result: CheckResult, sent: list[tuple[str, str, bytes]]) -> list[str]:
        """Send each (name, event, body); the names of those not accepted, with their answer."""
        refused = []
        for name, event, body in sent:
            response, evidence = self.send(event, body)
            result.evidence.append(evidence)
            if not response.ok:
                refused.append(f"{name} ({response.status or response.error})")
        return refused

    def forgeries(self) -> CheckResult:
        result = CheckResult(3, "Forged, unsigned and tampered requests are refused, never 2xx")
        kind = self.target.creds.auth_type
        if kind == AuthType.NONE:
            return _verdict(result, NOT_APPLICABLE, "The endpoint takes no auth: nothing to forge.")
        body, event = self.sample(self.target.events[0]), self.target.events[0]
        accepted = []
        for name, send in self._forged(kind, body, event):
            response, evidence = send()
            result.evidence.append(evidence)
            if response.ok:
                accepted.append(name)
        if accepted:
            return _verdict(result, FAIL, "Accepted as genuine: " + ", ".join(accepted) + ".")
        return _verdict(result, PASS, f"All {len(result.evidence)} refused.")

    def _forged(self, kind, body: bytes, event: str):
        wrong = "wrong-" + uuid.uuid4().hex
        yield "no signature or credentials", lambda: self.send(event, body, sign=False)
        if kind == AuthType.HMAC:
            forged = {signing.ACTIGRAPH_HEADER: signing.actigraph_signature(wrong, body)}
            yield "a wrong signature", lambda: self.send(event, body, sign=False, extra=forged)
            tampered = self._signed_headers(body)
            yield (
                "a tampered body",
                lambda: self.send(event, body + b" ", sign=False, extra=tampered),
            )
        if kind == AuthType.STANDARD_WEBHOOKS:
            forged = signing.standard_webhooks_headers(
                (signing.new_whsec_secret(),), str(uuid.uuid4()), body
            )
            yield "a wrong signature", lambda: self.send(event, body, sign=False, extra=forged)
            tampered = self._signed_headers(body)
            yield (
                "a tampered body",
                lambda: self.send(event, body + b" ", sign=False, extra=tampered),
            )
            yield (
                "an old timestamp",
                lambda: self.send(event, body, sign=False, extra=self._stale(body)),
            )

    def _signed_headers(self, body: bytes, message: str | None = None) -> dict:
        session = self.sender.session()
        return auth.auth_headers(
            self.target.creds, body, message or str(uuid.uuid4()), self.tokens, session
        )

    def _stale(self, body: bytes) -> dict:
        """Correctly signed, but ten minutes old (the tolerance is five)."""
        message, at = (
            str(uuid.uuid4()),
            int((datetime.now(UTC) - timedelta(minutes=10)).timestamp()),
        )
        return signing.standard_webhooks_headers(
            self.target.creds.whsec_secrets, message, body, timestamp=at
        )

    def duplicates(self) -> CheckResult:
        result = CheckResult(4, "The same delivery sent twice is accepted both times")
        event = self.target.events[0]
        body, delivery = self.sample(event), str(uuid.uuid4())
        answers = []
        for _ in range(2):
            response, evidence = self.send(event, body, delivery=delivery)
            result.evidence.append(evidence)
            answers.append(response.ok)
        if all(answers):
            return _verdict(result, PASS, "Both accepted (an idempotent answer).")
        return _verdict(
            result, FAIL, "The repeat was refused; the platform retries with the same id."
        )

    def load(self) -> CheckResult:
        result = CheckResult(5, f"{CONCURRENT} at once all accepted; answers in time")
        event = self.target.events[0]
        body = self.sample(event)
        with ThreadPoolExecutor(CONCURRENT) as pool:
            together = list(pool.map(lambda _: self.send(event, body), range(CONCURRENT)))
        timed = [self.send(event, body) for _ in range(TIMED)]
        result.evidence += [evidence for _, evidence in together[:2] + timed[:2]]
        times = sorted(response.duration_ms for response, _ in timed)
        p50, p95 = statistics.median(times), times[int(len(times) * 0.95) - 1]
        refused = sum(not response.ok for response, _ in together + timed)
        limit = int(self.timeouts.total * 1000)
        figures = f"p50 {p50:.0f} ms, p95 {p95} ms (the limit is {limit} ms)"
        if refused or p95 >= limit:
            return _verdict(result, FAIL, f"{refused} of {CONCURRENT + TIMED} refused; {figures}.")
        return _verdict(result, PASS, f"All {CONCURRENT + TIMED} accepted; {figures}.")

    def sizes(self) -> CheckResult:
        result = CheckResult(6, "The largest catalog sample and a 1 MB payload are accepted")
        event = self.target.events[0]
        sample = json.loads(self.sample(event))
        bare = len(json.dumps({**sample, "padding": ""}).encode())
        big = json.dumps({**sample, "padding": "x" * (MB - bare)}).encode()  # 1,000,000 bytes
        largest = max((self.sample(e) for e in self.target.events), key=len)
        refused = self._refused(
            result, [("the largest sample", event, largest), ("1 MB", event, big)]
        )
        if refused:
            return _verdict(result, FAIL, "Refused: " + ", ".join(refused) + ".")
        return _verdict(result, PASS, f"Both accepted (up to {len(big):,} bytes).")

    def transport(self) -> CheckResult:
        result = CheckResult(7, "HTTPS with a sound certificate; no redirects")
        problems = [f"a redirect ({r}); the platform does not follow them" for r in self.redirects]
        parts = urlsplit(self.target.url)
        if parts.scheme == "http":
            if not self.target.development:
                problems.append("plain http; the platform sends only to https")
            elif not problems:
                return _verdict(
                    result, NOT_APPLICABLE, "Plain http, allowed for a development endpoint."
                )
        else:
            problems += _certificate_problems(
                parts.hostname or "", parts.port or 443, self.timeouts
            )
        if problems:
            return _verdict(result, FAIL, "Found " + "; ".join(problems) + ".")
        return _verdict(result, PASS, "HTTPS, a valid certificate, TLS 1.2 or newer, no redirects.")

    def strays(self) -> CheckResult:
        result = CheckResult(8, "A GET or an unknown event is not silently accepted")
        notes = []
        response, evidence = self.send("check.get", b"", sign=False, method="GET")
        result.evidence.append(evidence)
        if response.ok:
            notes.append(f"a GET was answered {response.status}")
        unknown = json.dumps({"note": "an event no platform sends"}).encode()
        response, evidence = self.send("webhookdesk.unknown_event", unknown)
        result.evidence.append(evidence)
        if response.ok:
            notes.append(f"an unknown event type was answered {response.status}")
        if notes:
            return _verdict(result, INFO, "For information: " + "; ".join(notes) + ".")
        return _verdict(result, PASS, "Both were refused.")


def _verdict(result: CheckResult, verdict: str, detail: str) -> CheckResult:
    result.verdict, result.detail = verdict, detail
    return result


def _evidence(method: str, url: str, headers: dict, response: Response) -> Evidence:
    shown = redaction.redacted(headers)
    notable = ", ".join(
        f"{name}: {value}"
        for name, value in shown.items()
        if name.lower().startswith(("x-actigraph", "webhook-", "authorization", "x-webhookdesk"))
    )
    if response.status is None:
        answer = f"no answer: {response.error}"
    else:
        answer = f"{response.status} in {response.duration_ms} ms"
    return Evidence(f"{method} {url} [{notable}]", answer, response.duration_ms)


def _certificate_problems(host: str, port: int, timeouts: Timeouts) -> list[str]:
    context = ssl.create_default_context()
    try:
        with socket.create_connection((host, port), timeout=timeouts.connect) as raw:
            with context.wrap_socket(raw, server_hostname=host) as tls:
                version, cert = tls.version(), tls.getpeercert()
    except ssl.SSLCertVerificationError as error:
        return [f"a certificate that does not verify ({error.verify_message})"]
    except (OSError, ssl.SSLError) as error:
        return [f"no TLS connection ({error})"]
    problems = []
    if version not in ("TLSv1.2", "TLSv1.3"):
        problems.append(f"{version}, older than TLS 1.2")
    not_after = str((cert or {}).get("notAfter", ""))
    if not not_after:
        return problems + ["a certificate with no expiry date"]
    expires = datetime.fromtimestamp(ssl.cert_time_to_seconds(not_after), UTC)
    if expires - datetime.now(UTC) < EXPIRY_WARNING:
        problems.append(
            f"a certificate expiring {expires:%Y-%m-%d}, within {EXPIRY_WARNING.days} days"
        )
    return problems
