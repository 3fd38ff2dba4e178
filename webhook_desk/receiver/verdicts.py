"""Which secrets the receiver checks signatures against, and the verdict for one request.

Known secrets are those of registrations in the same database whose URL points at this
receiver (same port, a host that reaches it), plus any given on standard input. The values
come from the OS keyring and stay in memory only; labels say where each came from and which
version it is ("registration 3 v2", "stdin 1"), so a verdict never shows a value.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import threading
import time
from collections.abc import Iterable, Mapping
from urllib.parse import urlsplit

from webhook_desk import signing
from webhook_desk.errors import NotFound, UserError
from webhook_desk.secrets import SecretStore
from webhook_desk.services import registrations
from webhook_desk.signing import KnownSecret, Verdict

log = logging.getLogger(__name__)

SIGNING_KINDS = ("hmac", "standard-webhooks")
LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}
WILDCARD_HOSTS = {"", "0.0.0.0", "::"}
STALE_AFTER_S = 1.0  # at most one reload a second, whatever arrives


SCHEME_PREFIXES = {"hmac:": "hmac", "standard-webhooks:": "standard-webhooks"}


def secrets_from_text(text: str) -> list[KnownSecret]:
    """Secrets given on stdin, one a line. A line may say its scheme first (`hmac:VALUE`,
    `standard-webhooks:VALUE`, so an unprefixed base64 key can be a Standard Webhooks one);
    otherwise `whsec_...` is Standard Webhooks and anything else HMAC."""
    values = [line.strip() for line in text.splitlines() if line.strip()]
    known = []
    for number, line in enumerate(values, start=1):
        kind, value = _scheme_and_value(line)
        problem = signing.secret_problem(kind, value)
        if problem:
            raise UserError(f"Secret {number} on standard input: {problem}")
        known.append(KnownSecret(f"stdin {number}", kind, value))
    return known


def _scheme_and_value(line: str) -> tuple[str, str]:
    for prefix, kind in SCHEME_PREFIXES.items():
        if line.lower().startswith(prefix):
            return kind, line[len(prefix) :].strip()
    return ("standard-webhooks" if line.startswith("whsec_") else "hmac"), line


def _is_loopback(host: str) -> bool:
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def points_at(url: str, host: str, port: int) -> bool:
    """Whether a registration's URL reaches a receiver bound to host:port."""
    parts = urlsplit(url)
    try:
        url_port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return False
    url_host = (parts.hostname or "").lower()
    if url_port != port or parts.scheme not in ("http", "https"):
        return False
    if host in WILDCARD_HOSTS:
        return True  # bound everywhere: any name of this machine reaches it
    if _is_loopback(host):
        return _is_loopback(url_host)
    return url_host in {host.lower(), socket.gethostname().lower()}


def registration_secrets(
    session, store: SecretStore, host: str, port: int
) -> tuple[list[KnownSecret], list[str]]:
    """Secrets of registrations that point here, and a sentence for each that could not be read.

    One secret missing from the keyring must not blind the receiver to all the others.
    """
    known, problems = [], []
    for reg in registrations.list_all(session):
        if not points_at(reg.url, host, port):
            continue
        for kind in SIGNING_KINDS:
            try:
                pairs = registrations.valid_secrets(session, store, reg, kind)
            except NotFound as error:
                problems.append(str(error))
                continue
            for version, value in pairs:
                known.append(KnownSecret(f"registration {reg.id} v{version.version}", kind, value))
    throwaway = store.throwaway_hmac()  # what ad-hoc deliveries fired from the GUI sign with
    if throwaway:
        known.append(KnownSecret("throwaway", "hmac", throwaway))
    return known, problems


class SecretBook:
    """The secrets known right now; refreshed from the database while the receiver runs."""

    def __init__(self, db, store: SecretStore | None = None, extra: Iterable[KnownSecret] = ()):
        self.db = db
        self.store = store or SecretStore()
        self.extra = tuple(extra)
        self.problem: str | None = None
        self._known: tuple[KnownSecret, ...] = self.extra
        self._lock = threading.Lock()
        self.refreshed_at = float("-inf")

    @property
    def known(self) -> tuple[KnownSecret, ...]:
        return self._known

    def refresh_if_stale(self, host: str, port: int) -> None:
        """Reload unless a reload is under STALE_AFTER_S old: many requests asking at once
        cause one reload."""
        self.refresh(host, port, if_older_than=STALE_AFTER_S)

    def refresh(self, host: str, port: int, if_older_than: float = 0.0) -> None:
        """Reload registration secrets; on a keyring or database problem keep the last set."""
        with self._lock:
            if self._age() < if_older_than:
                return
            try:
                with self.db.session() as session:
                    found, problems = registration_secrets(session, self.store, host, port)
            except UserError as error:
                self._note(str(error))
            else:
                self._note(" ".join(problems) or None)
                self._known = self.extra + tuple(found)
            # Fresh from now, not from when the reload began: a request that asked while it
            # ran waits for it (may_know_more) instead of being judged on the old secrets.
            self.refreshed_at = time.monotonic()

    def _note(self, problem: str | None) -> None:
        if problem and problem != self.problem:
            log.warning("Registration secrets: %s", problem)
        self.problem = problem

    def verdict(self, headers: Mapping[str, str], body: bytes) -> Verdict:
        return signing.verify(headers, body, self._known)

    def may_know_more(self, verdict: Verdict) -> bool:
        """Whether a reload could change this verdict: a signed request that no known secret
        checks, while the secrets are older than STALE_AFTER_S (a registration added or
        rotated since the last reload should not read as unchecked or invalid)."""
        return (
            verdict.scheme is not None
            and verdict.status in ("unchecked", "invalid")
            and (self._age() >= STALE_AFTER_S or self._lock.locked())
        )

    def _age(self) -> float:
        return time.monotonic() - self.refreshed_at
