"""One delivery in full, for the History tab's detail panel: the delivery and its attempts.

Request headers were stored with Authorization redacted, so nothing here carries a secret.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from webhook_desk.db.models import Attempt
from webhook_desk.history.queries import as_dict
from webhook_desk.services.resend import find


def attempt_as_dict(attempt: Attempt) -> dict:
    return {
        "number": attempt.number,
        "started_at": attempt.started_at,
        "url": attempt.url,
        "request_headers": attempt.request_headers or {},
        "request_body": attempt.body_sent,
        "response_code": attempt.response_code,
        "response_headers": attempt.response_headers or {},
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
    record["attempt_chain"] = [attempt_as_dict(a) for a in delivery.attempts]
    return record
