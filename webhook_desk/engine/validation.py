"""The validation handshake: before any event goes to a new or re-credentialed registration.

We send `X-ActiGraph-Event: validation` with a fresh code in `X-ActiGraph-Hook-Secret` and in
the body; the receiver passes by answering 200 with the same code in that response header.
The handshake is stored as a delivery (is_validation) so it shows in the history like any other.
As on the platform, the request carries no signature unless asked (`signed`, from Settings);
Basic and OAuth2 credentials are sent as with any delivery.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import CursorResult, exists, or_, select, update
from sqlalchemy.orm import Session

from webhook_desk import redaction
from webhook_desk.db.models import Attempt, Delivery, Registration, utcnow
from webhook_desk.engine import auth
from webhook_desk.engine.bookkeeping import Bookkeeping
from webhook_desk.engine.client_tls import load_tls
from webhook_desk.engine.defaults import SIGNED_BY_DEFAULT
from webhook_desk.engine.headers import platform_headers
from webhook_desk.engine.sender import Response, Sender
from webhook_desk.vocabulary import DeliveryStatus, RegistrationStatus, ValidationState

HOOK_SECRET_HEADER = "X-ActiGraph-Hook-Secret"
EVENT = "validation"
SIGNATURE_AUTH = ("hmac", "standard-webhooks")


@dataclass(frozen=True)
class ValidationResult:
    registration_id: int
    ok: bool
    error: str | None
    delivery_id: int
    response_code: int | None


def claim_due(session: Session, now: datetime, lease: timedelta) -> list[int]:
    """Claim the handshakes due: enabled registrations waiting for validation whose events are
    due. Each is claimed by one conditional UPDATE, so of several engines on one database only
    one runs a registration's handshake; a claim older than `lease` (an engine that died
    mid-handshake) may be taken over."""
    waiting = or_(
        Registration.validation_state == ValidationState.PENDING,
        (Registration.validation_state == ValidationState.VALIDATING)
        & (Registration.updated_at < now - lease),
    )
    due = exists().where(
        Delivery.registration_id == Registration.id,
        Delivery.status == DeliveryStatus.PENDING,
        Delivery.next_attempt_at <= now,
    )
    enabled = Registration.status == RegistrationStatus.ENABLED
    candidates = session.scalars(select(Registration.id).where(enabled, waiting, due)).all()
    claimed = []
    for reg_id in candidates:
        won = session.execute(
            update(Registration)
            .where(Registration.id == reg_id, waiting)
            .values(validation_state=ValidationState.VALIDATING, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        if cast(CursorResult, won).rowcount == 1:
            claimed.append(reg_id)
    return claimed


def validate(
    db,
    book: Bookkeeping,
    reg_id: int,
    sender: Sender | None = None,
    tokens: auth.TokenCache | None = None,
    signed: bool = SIGNED_BY_DEFAULT,
) -> ValidationResult:
    """Run the handshake against the registration's URL and record the verdict."""
    sender = sender or Sender()
    tokens = tokens or auth.TokenCache(sender.timeouts.total)
    with db.session() as session:
        reg = book.registration(session, reg_id)
        reg_id, url = reg.id, reg.url
        creds = auth.load_credentials(session, book, reg)
        tls = load_tls(session, book, reg)
    if not signed and creds.auth_type in SIGNATURE_AUTH:
        creds = auth.NO_AUTH
    code = str(uuid.uuid4())
    delivery_uuid = str(uuid.uuid4())
    body = json.dumps({"WebhookId": str(reg_id), "ValidationCode": code}, separators=(",", ":"))
    headers = platform_headers(reg_id, EVENT, delivery_uuid, tls.presents_to(url))
    headers[HOOK_SECRET_HEADER] = code
    started = utcnow()
    response = auth.send(sender, tokens, creds, url, headers, body.encode(), tls)
    error = verdict(response, code)
    with db.session() as session:
        reg = book.registration(session, reg_id)
        # The code travels in the hook-secret header, so every stored copy has it scrubbed.
        seen = redaction.redactor(session).knowing(headers)
        delivery = _stored(reg, url, delivery_uuid, started, error, seen.headers(headers),
                           seen.text(body), response.scrubbed(seen))  # fmt: skip
        session.add(delivery)
        book.record_validation(session, reg, error is None, error)
        session.flush()
        return ValidationResult(reg_id, error is None, error, delivery.id, response.status)


def verdict(response: Response, code: str) -> str | None:
    """None when the handshake passed, else the sentence a coordinator reads."""
    if response.status is None:
        return f"The validation request failed: {response.error}"
    if response.status != 200:
        return f"The endpoint answered the validation request with {response.status}, not 200."
    echoed = response.header(HOOK_SECRET_HEADER)
    if echoed is None:
        return f"The endpoint answered 200 but did not echo the {HOOK_SECRET_HEADER} header."
    if echoed.strip() != code:
        return f"The endpoint echoed a different {HOOK_SECRET_HEADER} value than was sent."
    return None


def _stored(reg, url, delivery_uuid, started, error, headers, body, response) -> Delivery:
    delivery = Delivery(
        uuid=delivery_uuid,
        registration_id=reg.id,
        target_url=url,
        event_code=EVENT,
        event_version=reg.event_version,
        payload=body,
        study_id=reg.study_id,
        status=DeliveryStatus.SUCCEEDED if error is None else DeliveryStatus.FAILED,
        response_code=response.status,
        attempt_count=1,
        error=error,
        duration_ms=response.duration_ms,
        is_validation=True,
        created_at=started,
        last_sent_at=started,
    )
    delivery.attempts.append(
        Attempt(
            number=1,
            started_at=started,
            url=url,
            request_headers=headers,
            request_body=body,
            response_code=response.status,
            response_headers=response.headers or None,
            response_body=response.body,
            duration_ms=response.duration_ms,
            error=response.error or error,
        )
    )
    return delivery
