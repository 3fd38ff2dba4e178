"""Writing what happened: a batch of attempts and their deliveries' new state in one transaction.

One transaction per batch (not per request) because SQLite has one writer; an attempt row and
its delivery's update commit together, so a crash never leaves one without the other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import Table, bindparam, func, select
from sqlalchemy.orm import Session

from webhook_desk.db.models import Attempt, Delivery
from webhook_desk.engine import claim as claiming
from webhook_desk.engine import streaks
from webhook_desk.engine.bookkeeping import Bookkeeping
from webhook_desk.engine.claim import Claimed
from webhook_desk.engine.sender import Response
from webhook_desk.vocabulary import DeliveryStatus


@dataclass
class Outcome:
    """One request of one claimed delivery, and what the delivery becomes after it."""

    claimed: Claimed
    started_at: datetime | None = None
    url: str = ""
    request_headers: dict = field(default_factory=dict)  # already redacted (redaction.py)
    response: Response | None = None
    status: DeliveryStatus = DeliveryStatus.PENDING  # the delivery's status after this attempt
    next_attempt_at: datetime | None = None
    released: bool = False  # not sent: the engine stopped first; the lease is given back

    @property
    def sent_response(self) -> Response:
        """The response of an outcome that was sent (not released)."""
        assert self.response is not None, "a released delivery has no response"
        return self.response

    @property
    def registration_id(self) -> int | None:
        return self.claimed.registration_id


_delivery_table = cast(Table, Delivery.__table__)
_UPDATE_DELIVERY = (
    _delivery_table.update()
    .where(
        _delivery_table.c.id == bindparam("d_id"),
        _delivery_table.c.lease_owner == bindparam("d_owner"),
    )
    .values(
        status=bindparam("d_status"),
        response_code=bindparam("d_code"),
        error=bindparam("d_error"),
        duration_ms=bindparam("d_ms"),
        last_sent_at=bindparam("d_sent"),
        next_attempt_at=bindparam("d_next"),
        attempt_count=_delivery_table.c.attempt_count + 1,
        lease_owner=None,
        lease_expires_at=None,
    )
)


def record_batch(
    session: Session,
    owner: str,
    outcomes: list[Outcome],
    book: Bookkeeping,
    disable_after: timedelta = streaks.DEFAULT_DISABLE_AFTER,
    now: datetime | None = None,
) -> list[int]:
    """Store attempts and update deliveries and registrations; returns registrations disabled.

    A delivery whose lease another worker has taken meanwhile (ours expired) still gets its
    attempt recorded, since the request did go out, but its state is left to the new owner.
    """
    claiming.release(session, owner, [o.claimed.id for o in outcomes if o.released])
    sent = [o for o in outcomes if not o.released]
    if not sent:
        return []
    numbers = _next_numbers(session, [o.claimed.id for o in sent])
    attempts = cast(Table, Attempt.__table__)
    session.execute(attempts.insert(), [_attempt_row(o, numbers) for o in sent])
    session.execute(_UPDATE_DELIVERY, [_delivery_params(o, owner) for o in sent])
    runs: dict[int, streaks.RunOfOutcomes] = {}
    for o in sent:
        if o.registration_id is not None:
            ok = o.response is not None and o.response.ok
            assert o.started_at is not None  # every sent outcome has its start
            runs.setdefault(o.registration_id, streaks.RunOfOutcomes()).add(ok, o.started_at)
    return streaks.apply(session, runs, book, disable_after, now) if runs else []


def _next_numbers(session: Session, delivery_ids: list[int]) -> dict[int, int]:
    rows = session.execute(
        select(Attempt.delivery_id, func.max(Attempt.number))
        .where(Attempt.delivery_id.in_(delivery_ids))
        .group_by(Attempt.delivery_id)
    ).all()
    return {delivery_id: number + 1 for delivery_id, number in rows}


def _attempt_row(o: Outcome, numbers: dict[int, int]) -> dict:
    r = o.sent_response
    return {
        "delivery_id": o.claimed.id,
        "number": numbers.get(o.claimed.id, 1),
        "retried_attempt_id": o.claimed.previous_attempt_id,
        "started_at": o.started_at,
        "url": o.url,
        "request_headers": o.request_headers,
        "request_body": None,  # the delivery's payload, byte for byte: not stored twice
        "response_code": r.status,
        "response_headers": r.headers or None,
        "response_body": r.body,
        "duration_ms": r.duration_ms,
        "error": r.error,
    }


def _delivery_params(o: Outcome, owner: str) -> dict:
    r = o.sent_response
    return {
        "d_id": o.claimed.id,
        "d_owner": owner,
        "d_status": o.status,
        "d_code": r.status,
        "d_error": r.error,
        "d_ms": r.duration_ms,
        "d_sent": o.started_at,
        "d_next": o.next_attempt_at,
    }
