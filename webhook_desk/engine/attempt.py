"""One attempt of one delivery: where it goes and how it is signed (its Target), the request,
and what the delivery becomes after it (succeeded, failed, or pending until the next try)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import timedelta

from sqlalchemy.orm import Session

from webhook_desk import redaction
from webhook_desk.db.models import Registration, utcnow
from webhook_desk.engine import auth, retry
from webhook_desk.engine.bookkeeping import Bookkeeping
from webhook_desk.engine.claim import Claimed
from webhook_desk.engine.client_tls import NO_TLS, ClientTls, load_tls
from webhook_desk.engine.headers import platform_headers, with_extra
from webhook_desk.engine.record import Outcome
from webhook_desk.engine.sender import Response, Sender
from webhook_desk.errors import UserError
from webhook_desk.vocabulary import AuthType, DeliveryStatus


@dataclass(frozen=True)
class Target:
    """Where and how a registration's deliveries go, loaded once per few seconds."""

    url: str | None  # None: use the delivery's own target_url (ad-hoc deliveries)
    webhook_id: str | None
    creds: auth.Credentials
    schedule: list[timedelta] = field(default_factory=lambda: retry.parse_schedule(None))
    redactor: redaction.Redactor = redaction.DEFAULT  # with the user's secret headers
    tls: ClientTls = NO_TLS  # the client certificate presented, the authorities trusted


ADHOC = Target(url=None, webhook_id=None, creds=auth.NO_AUTH)


def target_of(
    session: Session,
    book: Bookkeeping,
    reg: Registration,
    default_schedule: list[timedelta] | None = None,
) -> Target:
    """The registration's current URL, credentials and retry schedule (its own, else the
    engine's default)."""
    default = default_schedule or retry.parse_schedule(None)
    own = (reg.retry_schedule or "").strip()
    try:
        schedule = retry.parse_schedule(own) if own else default
    except UserError:  # a schedule stored before it was checked: fall back, do not stall
        schedule = default
    creds = auth.load_credentials(session, book, reg)
    return Target(
        url=reg.url,
        webhook_id=str(reg.id),
        creds=creds,
        schedule=schedule,
        redactor=redaction.redactor(session),
        tls=load_tls(session, book, reg),
    )


def throwaway_target(adhoc: Target, book: Bookkeeping) -> Target:
    """Ad-hoc delivery signed (actigraph HMAC) with the throwaway secret the built-in
    receiver knows."""
    value = book.throwaway_secret()
    creds = (
        auth.Credentials(AuthType.HMAC, hmac_secret=value)
        if value
        else auth.Credentials(
            AuthType.HMAC,
            problem="The throwaway signing secret is not in the keyring; fire from the "
            "window again to create it.",
        )
    )
    return replace(adhoc, creds=creds)


def target_for(c: Claimed, targets: dict[int, Target], adhoc: Target, throwaway: Target) -> Target:
    """Where and how to send a claimed delivery: its registration's way; or, ad-hoc, to its
    own URL, signed as the registration it names or with the throwaway secret, if asked."""
    if c.registration_id is not None:
        return targets.get(c.registration_id, adhoc)
    signer = targets.get(c.signing_registration_id) if c.signing_registration_id else None
    if signer is not None:
        return replace(adhoc, creds=signer.creds)
    return throwaway if c.signing_throwaway else adhoc


def send(c: Claimed, target: Target, sender: Sender, tokens: auth.TokenCache) -> Outcome:
    """Sign and send the delivery once; never raises for anything the receiver does."""
    url = target.url or c.target_url
    body = c.payload.encode("utf-8")
    # A tester's own headers go over the platform's; auth and signature are added after.
    presents = target.tls.presents_to(url)
    own = platform_headers(target.webhook_id, c.event_code, c.uuid, presents)
    headers = with_extra(own, c.extra_headers)
    started = utcnow()
    response = auth.send(sender, tokens, target.creds, url, headers, body, target.tls)
    return outcome(c, target, url, headers, started, response)


def outcome(c: Claimed, target: Target, url, headers, started, response: Response) -> Outcome:
    """What the delivery becomes: 2xx succeeded; retryable and schedule left: pending.

    What is kept has the secret headers redacted, and the credentials sent scrubbed from
    whatever the target echoed back."""
    if response.ok:
        status, next_at = DeliveryStatus.SUCCEEDED, None
    elif retry.is_retryable(response.status):
        wait = retry.retry_after(response.header("Retry-After"), started)
        next_at = retry.next_attempt_at(target.schedule, c.attempt_count + 1, utcnow(), wait)
        status = DeliveryStatus.PENDING if next_at else DeliveryStatus.FAILED
    else:
        status, next_at = DeliveryStatus.FAILED, None
    seen = target.redactor.knowing(headers)
    return Outcome(
        claimed=c,
        started_at=started,
        url=url,
        request_headers=seen.headers(headers),
        response=response.scrubbed(seen),
        status=status,
        next_attempt_at=next_at,
    )
