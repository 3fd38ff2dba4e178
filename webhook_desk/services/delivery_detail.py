"""One delivery in full, for the History tab's detail panel: the delivery and its attempts.

Headers were stored redacted; they are redacted again here by the rule as it is now (the user
may have named more secret-bearing headers since).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from webhook_desk import redaction
from webhook_desk.db.models import Attempt, Delivery
from webhook_desk.history.queries import as_dict
from webhook_desk.redaction import DEFAULT, Redactor
from webhook_desk.services.resend import find
from webhook_desk.services.waiting import waiting_reason


def attempt_as_dict(attempt: Attempt, redactor: Redactor = DEFAULT) -> dict:
    return {
        "number": attempt.number,
        "started_at": attempt.started_at,
        "url": attempt.url,
        "request_headers": redactor.headers(attempt.request_headers),
        "request_body": attempt.body_sent,
        "response_code": attempt.response_code,
        "response_headers": redactor.headers(attempt.response_headers),
        "response_body": attempt.response_body,
        "duration_ms": attempt.duration_ms,
        "error": attempt.error,
        "retried_attempt_id": attempt.retried_attempt_id,
    }


def detail(session: Session, delivery_ref) -> dict:
    """The delivery (as history lists it), its body, and every attempt, oldest first."""
    delivery = find(session, delivery_ref)
    record = as_dict(delivery)
    record["payload"] = delivery.payload
    redactor = redaction.redactor(session)
    record["attempt_chain"] = [attempt_as_dict(a, redactor) for a in delivery.attempts]
    if delivery.erased_at is not None:
        _say_erased(record, delivery)
    record["waiting_for"] = waiting_reason(session, delivery)
    original = session.get(Delivery, delivery.resent_from_id) if delivery.resent_from_id else None
    record["resent_from"] = _link(original, delivery)
    resends = select(Delivery).where(Delivery.resent_from_id == delivery.id).order_by(Delivery.id)
    record["resends"] = [_link(copy, delivery) for copy in session.scalars(resends)]
    return record


def _link(other: Delivery | None, this: Delivery) -> dict | None:
    """The other end of a resend link, and whether the body was edited on the way."""
    if other is None:
        return None
    return {"id": other.id, "edited": other.payload != this.payload}


def _say_erased(record: dict, delivery: Delivery) -> None:
    """A tombstone's bodies read as what happened to them, not as empty text."""
    erased = delivery.erased_at
    assert erased is not None  # a tombstone: the delivery was erased
    note = (
        f"(Erased {erased.isoformat(timespec='seconds')}; the payload's SHA-256 "
        f"was {delivery.payload_sha256}.)"
    )
    record["payload"] = note
    for attempt in record["attempt_chain"]:
        attempt["request_body"], attempt["response_body"] = note, None
