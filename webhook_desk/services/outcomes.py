"""Recording an activity's outcome (seed 004's `outcomes`): what happened to a delivery that
was sent by someone else, or answered later, becomes its next attempt and settles it.

A recorded outcome ends the delivery's retries; it is audited like any other change.
"""

from __future__ import annotations

import json

from sqlalchemy.orm import Session

from webhook_desk.db.models import Attempt, utcnow
from webhook_desk.errors import Conflict, InvalidInput
from webhook_desk.services import audit, resend
from webhook_desk.vocabulary import DeliveryStatus


def record_outcome(
    session: Session,
    delivery_ref,
    success: bool,
    status_code: int | None,
    error: str | None = None,
    raw_response=None,
    reason: str | None = None,
) -> Attempt:
    """Add the outcome as the delivery's next attempt; returns that attempt."""
    delivery = resend.find(session, delivery_ref)
    _check(success, status_code)
    now = utcnow()
    if delivery.lease_owner and delivery.lease_expires_at and delivery.lease_expires_at > now:
        raise Conflict(f"Delivery {delivery.uuid} is being sent right now; record it after.")
    before = {"status": delivery.status, "response_code": delivery.response_code}
    previous = delivery.attempts[-1] if delivery.attempts else None
    attempt = Attempt(
        number=delivery.attempt_count + 1,
        retried_attempt_id=previous.id if previous else None,
        started_at=now,
        url=delivery.target_url,
        request_headers={},
        response_code=status_code,
        response_body=_text(raw_response),
        error=error or None,
    )
    delivery.attempts.append(attempt)
    delivery.attempt_count = attempt.number
    delivery.status = DeliveryStatus.SUCCEEDED if success else DeliveryStatus.FAILED
    delivery.response_code, delivery.error = status_code, attempt.error
    delivery.last_sent_at, delivery.next_attempt_at = now, None
    session.flush()
    after = {"status": delivery.status, "response_code": status_code, "error": attempt.error}
    audit.record(session, "delivery.outcome", "delivery", delivery.uuid, before, after, reason)
    return attempt


def _check(success, status_code) -> None:
    if not isinstance(success, bool):
        raise InvalidInput("An outcome's success is true or false.")
    if status_code is not None and (
        isinstance(status_code, bool)
        or not isinstance(status_code, int)
        or not 100 <= status_code <= 599
    ):
        raise InvalidInput(
            f"An HTTP status code is a number from 100 to 599; {status_code!r} is not."
        )
    if success and not (status_code is not None and 200 <= status_code < 300):
        raise InvalidInput(f"A successful outcome has a 2xx status code, not {status_code}.")


def _text(raw_response) -> str | None:
    if raw_response is None or isinstance(raw_response, str):
        return raw_response
    return json.dumps(raw_response, ensure_ascii=False)
